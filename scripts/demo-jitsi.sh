#!/usr/bin/env bash
# Scriba as a Jibri: a private Prosody, the synthetic meeting, a worker in the brewery and a Jicofo stand-in
# that records one session the way Jicofo asks for it. Usage: npm run demo:jitsi [-- SECONDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
source scripts/node-path.sh
exec node scripts/demo-jitsi.ts "$@"
