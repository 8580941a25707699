#!/usr/bin/env bash
# `npm test`, on Node 24 (package.json runs it through .ci/node24): Biome and the unused-export check
# (npm run lint), the n8n package built, linted and scanned
# as n8n's verification does (test/n8n/scan.test.ts), the type check, every jest test with the real-n8n
# suite on the oldest n8n the package supports (2.8.4, N8N_E2E_DIR), then the real-n8n suite again on the
# newest the registry installs (2.40.7, N8N_E2E_CURRENT_DIR). Extra arguments go to both jest runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
echo "npm test on Node $(node -v) ($(command -v node))"
npm run lint
npm run build --workspace n8n-nodes
npm run lint --workspace n8n-nodes
tsc --noEmit -p tsconfig.json
echo "jest: everything, the real-n8n suite on n8n $(node -p "require('./test/n8n-e2e/package.json').dependencies.n8n")"
jest "$@"
echo "jest: the real-n8n suite on n8n $(node -p "require('./test/n8n-e2e/current/package.json').dependencies.n8n")"
N8N_E2E_DIR="${N8N_E2E_CURRENT_DIR:-$ROOT/.n8n-e2e-current}" jest test/n8n-e2e "$@"
