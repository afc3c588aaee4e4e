#!/usr/bin/env bash
# Idempotent setup on Debian 12: system packages, Node 24 when the system Node is older than 22,
# npm dependencies, and the synthetic meeting's media. Safe to run again; quick when nothing changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian packages: the runtime list (the same one the Dockerfile installs) plus what only the tests use.
mapfile -t pkgs < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/packages.txt scripts/packages-test.txt)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  # redis-server and nginx would start system-wide services on install; the tests start their own on free
  # loopback ports, so keep the packages from starting anything (policy-rc.d, only for this install).
  guard=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo_cmd[@]}" chmod 755 /usr/sbin/policy-rc.d
    guard=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  [ "$guard" -eq 0 ] || "${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d
  [ "${status:-0}" -eq 0 ] || exit "$status"
fi

# 2. Node >= 22.18: the npm registry's `node` package ships the official binary. node-path.sh puts .tools/ first
# on PATH when the system Node is older, so `node` is the system's only while .tools/ has none.
# shellcheck source=scripts/node-path.sh
source scripts/node-path.sh
if ! _scriba_node_ok node; then
  log "system Node is $(node --version 2>/dev/null || echo missing); installing Node 24 under .tools/node"
  mkdir -p .tools/node
  npm install --prefix .tools/node --no-save --no-audit --no-fund --loglevel=error node@24 >/dev/null
fi
# shellcheck source=scripts/node-path.sh
source scripts/node-path.sh

# 3. npm dependencies, only when the lock file changed since the last install.
stamp=node_modules/.scriba-lock.sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm dependencies (node $(node --version))"
  # onnxruntime-node ships its CPU binaries in the package; its install script only downloads GPU extras
  # from outside the npm registry, which this machine (and a locked-down build) cannot reach.
  export ONNXRUNTIME_NODE_INSTALL=skip
  # npm 11 writes locks without other platforms' optional packages of msgpackr-extract (via BullMQ) and
  # then refuses them in `npm ci`; `npm install --no-save` installs the same locked versions instead.
  npm ci --no-audit --no-fund --loglevel=error 2>/dev/null \
    || npm install --no-save --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# 4. Synthetic meeting media (VP8 loops, espeak-ng voices), generated once.
bash scripts/make-fixtures.sh
