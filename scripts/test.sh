#!/usr/bin/env bash
# The one test command (README, .ci/run): set up, type-check, then every unit and integration test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
source scripts/node-path.sh
node node_modules/typescript/bin/tsc --noEmit -p .
exec node node_modules/vitest/vitest.mjs run "$@"
