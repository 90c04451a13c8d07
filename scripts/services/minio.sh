#!/usr/bin/env bash
# A MinIO server for tests, with an STS user: the S3 most teams are given. Built from source with the Go
# toolchain (`go install`, about 6 min on 2 cores), cached in MINIO_TOOLS (/opt/imgr-s3-tools when writable).
#   up     install when missing, start unless answering (idempotent); prints the env for the tests
#   down   stop the server this script started
# Env: MINIO_DIR (/tmp/imgr-minio), MINIO_PORT (9300)
set -euo pipefail
D=${MINIO_DIR:-/tmp/imgr-minio}
PORT=${MINIO_PORT:-9300}
TOOLS=${MINIO_TOOLS:-/opt/imgr-s3-tools}
[ -w "$(dirname "$TOOLS")" ] || TOOLS=/tmp/imgr-s3-tools
ROOT_USER=rootuser ROOT_SECRET=rootsecret123
export MC_CONFIG_DIR="$D/mc"
# ready, not live: live answers before the object layer is up, and admin calls then fail.
answering() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/minio/health/ready" 2>/dev/null)" = 200 ]; }

install() {
  [ -x "$TOOLS/bin/minio" ] && [ -x "$TOOLS/bin/mc" ] && return
  # Pinned: the versions the suite was last run on (the newest the Go proxy served), not whatever is latest.
  echo "building minio and mc with go install" >&2
  GOBIN="$TOOLS/bin" nice -n 15 go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
  GOBIN="$TOOLS/bin" nice -n 15 go install github.com/minio/mc@v0.0.0-20250313080218-cf909e1063a9
}

up() {
  install
  if ! answering; then
    mkdir -p "$D/data"
    MINIO_ROOT_USER=$ROOT_USER MINIO_ROOT_PASSWORD=$ROOT_SECRET setsid "$TOOLS/bin/minio" server "$D/data" \
      --address "127.0.0.1:$PORT" --console-address 127.0.0.1:0 >>"$D/log" 2>&1 </dev/null &
    echo $! >"$D/pid"
    for _ in $(seq 120); do answering && break; sleep 0.25; done
    answering || { echo "minio not answering; see $D/log" >&2; exit 1; }
  fi
  # An ordinary user whose keys are only used to ask STS for temporary ones.
  "$TOOLS/bin/mc" alias set imgr "http://127.0.0.1:$PORT" "$ROOT_USER" "$ROOT_SECRET" >/dev/null
  "$TOOLS/bin/mc" admin user add imgr stsuser stsusersecret >/dev/null
  "$TOOLS/bin/mc" admin policy attach imgr readwrite --user stsuser >/dev/null 2>&1 || true
}

case "${1:-up}" in
  up) up ;;
  down) [ -f "$D/pid" ] && kill "$(cat "$D/pid")" 2>/dev/null; rm -f "$D/pid" ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
