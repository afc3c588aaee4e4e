#!/usr/bin/env bash
# The one test command (README, .ci/run): set up, type-check, check the import rules, then every unit and
# integration test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
source scripts/node-path.sh
node node_modules/typescript/bin/tsc --noEmit -p .
# Formatting and lint rules (biome.jsonc): the same as `npm run format` / `npm run lint` fix or report.
node node_modules/@biomejs/biome/bin/biome ci --reporter=summary .
# Import rules (.dependency-cruiser.cjs): no cycles, a pure domain, composition roots kept apart.
node node_modules/dependency-cruiser/bin/dependency-cruiser.mjs --config .dependency-cruiser.cjs src workers test bench scripts
exec node node_modules/vitest/vitest.mjs run "$@"
