#!/usr/bin/env bash
# A SeaweedFS server (master, volume, filer and S3 gateway in one process) for the S3 contract tests.
# Built from source: `go install` refuses the module (its go.mod has replace directives), so the module is
# downloaded from the Go proxy and built inside its own tree, where the replaces apply. Cached in
# SEAWEED_TOOLS (/opt/imgr-s3-tools when writable). About 10 min on 2 cores the first time.
#   up       install when missing, start unless answering (idempotent)
#   down     stop the server this script started
#   install  build the binary only (tests/docker/compose-seaweedfs.mjs runs it with compose's flags)
#   bin      print the binary's path
# Env: SEAWEED_DIR (/tmp/imgr-seaweedfs), SEAWEED_PORT (8333, the S3 port; the others follow it)
set -euo pipefail
D=${SEAWEED_DIR:-/tmp/imgr-seaweedfs}
PORT=${SEAWEED_PORT:-8333}
TOOLS=${SEAWEED_TOOLS:-/opt/imgr-s3-tools}
[ -w "$(dirname "$TOOLS")" ] || TOOLS=/tmp/imgr-s3-tools
# Pinned: the version the suite was last run on (a pseudo-version the Go proxy serves), not whatever is latest.
# Release 4.53 (weed/util/version): the tag of compose.yaml's chrislusf/seaweedfs image, which must stay the
# same release (tests/docker/compose-seaweedfs.mjs compares them).
VERSION=v0.0.0-20261109003541-7506e5f91cd6
BIN=$TOOLS/seaweed/$VERSION/weed
answering() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" 2>/dev/null)" = 200 ]; }

install() {
  [ -x "$BIN" ] && return
  echo "building SeaweedFS $VERSION from the Go module proxy" >&2
  local src work
  src=$(GOFLAGS=-mod=mod go mod download -json "github.com/seaweedfs/seaweedfs@$VERSION" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  work=$(mktemp -d)
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  mkdir -p "$(dirname "$BIN")"
  (cd "$work" && nice -n 15 go build -o "$BIN.partial" ./weed) && mv "$BIN.partial" "$BIN"
  rm -rf "$work"
}

up() {
  install
  answering && return
  mkdir -p "$D/data"
  # One identity with every action: the tests create and remove their own buckets.
  cat >"$D/s3.json" <<JSON
{"identities":[{"name":"imgr","credentials":[{"accessKey":"seaweedkey","secretKey":"seaweedsecret"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
  # Loopback only; the master, volume and filer ports sit next to the S3 one so several copies can run.
  # Small volumes (64 MB): the tests write little, and the default 30 GB preallocation fills /tmp.
  setsid "$BIN" server -dir="$D/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port=$((PORT + 1)) -volume.port=$((PORT + 2)) -filer.port=$((PORT + 3)) \
    -master.volumeSizeLimitMB=64 -volume.max=16 \
    -filer -s3 -s3.port="$PORT" -s3.config="$D/s3.json" >>"$D/log" 2>&1 </dev/null &
  echo $! >"$D/pid"
  for _ in $(seq 240); do answering && break; sleep 0.25; done
  answering || { echo "seaweedfs not answering; see $D/log" >&2; exit 1; }
}

case "${1:-up}" in
  up) up ;;
  install) install ;;
  bin) echo "$BIN" ;;
  down) [ -f "$D/pid" ] && kill "$(cat "$D/pid")" 2>/dev/null; rm -f "$D/pid" ;;
  *) echo "usage: $0 up|down|install|bin" >&2; exit 2 ;;
esac
