#!/usr/bin/env bash
# Installs the real n8n used by test/n8n-e2e into <repo>/.n8n-e2e (gitignored). Idempotent: does nothing when
# the installed n8n matches package.json and its sqlite3 binding loads. Cold: about 4–6 minutes, ~2.3 GB.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DEST="${N8N_E2E_DIR:-$ROOT/.n8n-e2e}"
mkdir -p "$DEST"

want="$(node -p "require('$HERE/package.json').dependencies.n8n")"
have="$(node -p "try{require('$DEST/node_modules/n8n/package.json').version}catch{''}" 2>/dev/null || true)"
sqlite_ok() { (cd "$DEST" && node -e "require('sqlite3')" >/dev/null 2>&1); }

if [ "$have" = "$want" ] && cmp -s "$HERE/package.json" "$DEST/package.json" && cmp -s "$HERE/package-lock.json" "$DEST/package-lock.json" && sqlite_ok; then
  echo "n8n $have already installed in $DEST"
  exit 0
fi

cp "$HERE/package.json" "$HERE/package-lock.json" "$DEST/"
# n8n's sqlite3 builds from source here (no prebuilt download: only the npm registry is reachable);
# allowScripts in package.json lets its install script run under npm 11, node-gyp uses the system headers.
cd "$DEST"
echo "installing n8n $want into $DEST (several minutes)…"
# The lockfile pins n8n's whole tree, so CI installs what the tests last passed with.
npm ci --no-audit --no-fund --loglevel=error --install-links=false --workspaces=false
if ! sqlite_ok; then
  echo "sqlite3 binding missing: rebuilding it"
  npm rebuild sqlite3 --foreground-scripts
fi
sqlite_ok || { echo "sqlite3 still does not load in $DEST" >&2; exit 1; }
echo "n8n $(node -p "require('./node_modules/n8n/package.json').version") installed in $DEST"
