#!/usr/bin/env bash
# Makes `docker compose` available (used by CI to validate compose.yaml). Debian 12 packages only the old
# Python docker-compose 1.x, so the Compose v2 plugin is built from its Go module (the Go module proxy is
# reachable from CI; about 2.5 min on 2 cores the first time, then nothing to do).
# Prints the command to use: "docker compose" or the plugin binary itself (it also runs stand-alone).
set -euo pipefail
VERSION=${COMPOSE_VERSION:-v2.40.3}
PLUGIN_DIR=${COMPOSE_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}
plugin=$PLUGIN_DIR/docker-compose

if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then echo "docker compose"; exit 0; fi
if [ -x "$plugin" ] && "$plugin" version >/dev/null 2>&1; then
  if command -v docker >/dev/null; then echo "docker compose"; else echo "$plugin"; fi
  exit 0
fi
command -v go >/dev/null || { echo "install-compose: no go toolchain to build Compose" >&2; exit 1; }
echo "install-compose: building docker compose $VERSION from its Go module" >&2
# Built inside the downloaded module (not `go install pkg@version`): its go.mod has exclude/replace
# directives that `go install` refuses.
dir=$(go mod download -json "github.com/docker/compose/v2@$VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
mkdir -p "$PLUGIN_DIR"
(cd "$dir" && GOFLAGS=-mod=mod go build -trimpath \
  -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$VERSION" -o "$plugin.tmp" ./cmd)
mv "$plugin.tmp" "$plugin"
if command -v docker >/dev/null; then echo "docker compose"; else echo "$plugin"; fi
