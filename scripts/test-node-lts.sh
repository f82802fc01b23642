#!/usr/bin/env bash
# The suite on SQLite under the current Node.js LTS (24), installed from the npm registry when the
# machine's Node is another: `npm run test:node-lts` (.ci/run runs it after `npm test`, which runs
# on the machine's Node). The official build comes from the `node-linux-<arch>` package (the `node`
# package's 24 line stops at 24.21, one of the releases that abort with better-sqlite3, see the
# README), into a cache outside the clone; the tree is copied (tracked files, as they are) into a
# scratch directory whose node_modules are built for that Node, so that this checkout's stay as
# they are.
set -euo pipefail
cd "$(dirname "$0")/.."

LTS='>=24.22 <25'
cache=${NEUTRON_TS_NODE_CACHE:-$HOME/.cache/neutron-ts}
arch=$(node -p 'process.arch')

version=$(npm view "node-linux-$arch@$LTS" version --json | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([v].flat().at(-1))')
home="$cache/node-v$version-linux-$arch"
if ! "$home/bin/node" --version >/dev/null 2>&1; then
  echo "node: installing $version from the npm registry (node-linux-$arch) into $home"
  rm -rf "$home.tmp" && mkdir -p "$home.tmp"
  (cd "$home.tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null && tar -xzf ./*.tgz --strip-components=1 && rm ./*.tgz)
  rm -rf "$home" && mv "$home.tmp" "$home"
fi
export PATH="$home/bin:$PATH"
# node-gyp builds better-sqlite3 against this Node's headers (its prebuilt binaries are
# downloaded from GitHub, when reachable)
export npm_config_nodedir="$home"

tree=$(mktemp -d "${TMPDIR:-/tmp}/neutron-ts-node-lts-XXXXXX")
trap 'rm -rf "$tree"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$tree"
cd "$tree"
echo "== npm ci on node $(node --version)"
npm ci --no-audit --no-fund >/dev/null
echo "== tests on node $(node --version), SQLite"
npm test -- test
