#!/usr/bin/env bash
# Runs before `npm test` (npm's pretest): installs what the tests need beyond `npm ci`, so that the README's
# two commands are the whole set-up. Each step is a no-op once done.
#  - the real n8n versions test/n8n-e2e runs on, 2.8.4 (into .n8n-e2e, or N8N_E2E_DIR) and 2.40.7 (into
#    .n8n-e2e-current, or N8N_E2E_CURRENT_DIR), on Node 24: about 4–6 minutes each the first time;
#  - Debian's Chromium for the console's browser tests, when this machine has none and apt-get can run
#    (as root); otherwise it says how, and those tests are skipped locally (CI=true makes them fail).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "${SKIP_TEST_INSTALL:-}" = "true" ]; then exit 0; fi

echo "test set-up: n8n 2.8.4 and 2.40.7 for the real-n8n tests (first run: about 10 minutes, then a no-op)"
bash "$HERE/n8n-e2e/install.sh"

if ! command -v "${CHROMIUM_PATH:-chromium}" >/dev/null 2>&1 && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test set-up: installing Debian's chromium for the console's browser tests (about a minute)"
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "test set-up: no Chromium found; install Debian's chromium (sudo apt-get install -y chromium) to run the console's browser tests"
  fi
fi
