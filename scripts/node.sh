#!/usr/bin/env bash
# Runs Node >= 22 (the project's own copy under .tools/ when the system Node is older) with the given args.
# Node runs our TypeScript directly (type stripping), so there is no build step.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/node-path.sh
source "$root/scripts/node-path.sh"
exec node "$@"
