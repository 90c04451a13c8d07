#!/usr/bin/env bash
# Builds the Nomad CLI the deploy pipelines use from its open-source source: v1.6.5, the last release
# under MPL-2.0 (HashiCorp's binaries from v1.6.6 on are under the BSL, so none is downloaded).
#   scripts/deploy/build-nomad.sh [dest-dir]      (default /usr/local/bin; needs git and Go >= 1.21)
# The CLI only renders and submits jobs, so it is built without the web UI and without cgo.
# The CI caches dest-dir by version: the build (about 3 min on a runner) happens once.
set -euo pipefail
VERSION=v1.6.5
dest=${1:-/usr/local/bin}

if [ -x "$dest/nomad" ] && "$dest/nomad" version | grep -q "^Nomad $VERSION"; then
  "$dest/nomad" version
  exit 0
fi
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
git -c advice.detachedHead=false clone -q --depth 1 --branch "$VERSION" https://github.com/hashicorp/nomad.git "$src"
grep -q 'Mozilla Public License' "$src/LICENSE" || { echo "build-nomad: no MPL-2.0 licence in $VERSION" >&2; exit 1; }
mkdir -p "$dest"
(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$dest/nomad" .)
"$dest/nomad" version
