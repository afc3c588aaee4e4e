# Sourced: puts a Node >= 22 first on PATH (system Node if new enough, else the copy setup.sh installed).
_scriba_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_scriba_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_scriba_major node)" -lt 22 ] 2>/dev/null; then
  export PATH="$_scriba_root/.tools/node/node_modules/.bin:$PATH"
fi
