#!/usr/bin/env bash
# The demo: set up, start the synthetic meeting, record it for 20 s, print the file and its ffprobe summary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
source scripts/node-path.sh
exec node src/cli/main.ts demo "$@"
