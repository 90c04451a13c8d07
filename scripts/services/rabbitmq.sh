#!/usr/bin/env bash
# RabbitMQ for tests: `up` installs it when missing and starts it when not running (guest/guest on
# 127.0.0.1:5672); `down` stops it; `restart` stops and starts it (failure tests).
set -euo pipefail
action=${1:-up}

ready() { rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; }

install() {
  command -v rabbitmq-server >/dev/null && return
  echo "installing rabbitmq-server" >&2
  DEBIAN_FRONTEND=noninteractive flock /tmp/apt.lock apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
}

start() {
  ready && return
  # Debian's package leaves the node running under systemd when there is one; without it, start detached.
  rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 120); do ready && break; sleep 0.5; done
  ready || { echo "rabbitmq did not start; see /var/log/rabbitmq" >&2; exit 1; }
}

stop() {
  rabbitmqctl stop >/dev/null 2>&1 || true
  for _ in $(seq 60); do ready || break; sleep 0.5; done
}

case "$action" in
  up) install; start; echo "rabbitmq ready on amqp://guest:guest@127.0.0.1:5672/" ;;
  down) stop ;;
  restart) stop; start ;;
  *) echo "usage: $0 up|down|restart" >&2; exit 2 ;;
esac
