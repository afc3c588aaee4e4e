# Sourced: puts a Node >= 22.18 first on PATH (system Node if new enough, else the copy setup.sh installed).
_scriba_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Whether Node $1 runs the sources as they are; the one rule is bin/node-requirement.js (plain JS, old Node reads it).
_scriba_node_ok() {
  "$1" --input-type=module -e 'const { meetsNodeRequirement } = await import(process.argv[1]);
    process.exit(meetsNodeRequirement(process.versions.node) ? 0 : 1)' "$_scriba_root/bin/node-requirement.js" 2>/dev/null
}
if ! _scriba_node_ok node; then
  export PATH="$_scriba_root/.tools/node/node_modules/.bin:$PATH"
fi
