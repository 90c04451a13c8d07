#!/usr/bin/env bash
# Docker engine for tests and local builds.
#   scripts/services/docker.sh up      install docker.io if missing, start dockerd if not answering, wait until ready
#   scripts/services/docker.sh status  exit 0 when the engine answers
#   scripts/services/docker.sh down    stop the dockerd this script started (pid file), nothing else
# Idempotent. There is no systemd on the CI machines, so dockerd is started by hand, with the overlay2 storage
# driver (about 3x faster than vfs for our builds and 10x less disk).
set -euo pipefail
# shellcheck source=scripts/lib/apt.sh
source "$(dirname "$0")/../lib/apt.sh"

LOG=${DOCKERD_LOG:-/var/log/imgr-dockerd.log}
PIDFILE=${DOCKERD_PIDFILE:-/run/imgr-dockerd.pid}
READY_TIMEOUT=${DOCKERD_READY_TIMEOUT:-60}

answering() { docker info >/dev/null 2>&1; }

# docker.io's client lives in /usr/bin; a newer client may already be on PATH, which is fine.
install_if_missing() { need_apt dockerd docker.io; }

up() {
  if answering; then return 0; fi
  install_if_missing
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "docker.sh: dockerd (pid $(cat "$PIDFILE")) is starting" >&2
  else
    echo "docker.sh: starting dockerd (log $LOG)" >&2
    # setsid: keep the daemon out of the caller's process group so a test step's cleanup does not take it down.
    setsid dockerd --storage-driver overlay2 >"$LOG" 2>&1 < /dev/null &
    echo $! > "$PIDFILE"
  fi
  local deadline=$((SECONDS + READY_TIMEOUT))
  until answering; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "docker.sh: dockerd not ready after ${READY_TIMEOUT}s; last log lines:" >&2
      tail -20 "$LOG" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  echo "docker.sh: engine ready ($(docker version --format '{{.Server.Version}}'))" >&2
}

down() {
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill "$(cat "$PIDFILE")"
    for _ in $(seq 1 40); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.5; done
    rm -f "$PIDFILE"
  fi
}

case "${1:-up}" in
  up) up ;;
  status) answering ;;
  down) down ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
