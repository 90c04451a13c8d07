#!/usr/bin/env bash
# RabbitMQ for tests: `up` installs it when missing and starts it when not running (guest/guest on
# 127.0.0.1:5672); `down` stops it; `restart` stops and starts it.
#   node up|start|stop|kill|down <port> <dir>
#     a node of a suite's own (name, AMQP port, data and logs apart from the machine's default node),
#     so that stopping it hurts no other suite sharing the machine's broker: `up` starts it afresh
#     (empty <dir>), `start` only when its port is closed, `stop`/`down` halt the whole node
#     (`rabbitmqctl stop`: the Erlang VM and its listener go away as on a crash or a package upgrade,
#     the durable queues are recovered from disk on start; ~3 s more than stop_app, which suites can
#     afford), `kill` is a crash (SIGKILL to the VM, no goodbye to the clients).
#     Env: RABBITMQ_DIST_PORT (port + 20000), the node's Erlang distribution port.
set -euo pipefail
action=${1:-up}
# shellcheck source=scripts/lib/apt.sh
source "$(dirname "$0")/../lib/apt.sh"

ready() { rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; }

install() { need_apt rabbitmq-server rabbitmq-server; }

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

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_until() { # seconds, command...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
port_closed() { ! port_open "$1"; }

# node <action> <port> <dir>: a private node (see the header).
node() {
  local what=${1:?node up|start|stop|kill|down <port> <dir>} port=${2:?node port} dir=${3:?node dir}
  local name=imgr-node-$port@localhost
  node_env() {
    env RABBITMQ_NODENAME="$name" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$port" \
      RABBITMQ_DIST_PORT="${RABBITMQ_DIST_PORT:-$((port + 20000))}" RABBITMQ_MNESIA_BASE="$dir/mnesia" \
      RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/pid" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" "$@"
  }
  case "$what" in
    up)
      install
      node stop "$port" "$dir"
      rm -rf "$dir"
      mkdir -p "$dir/mnesia" "$dir/log"
      touch "$dir/enabled_plugins"
      # The server drops to the rabbitmq user: it must reach and own its folders.
      chmod 755 "$(dirname "$dir")"
      chown -R rabbitmq:rabbitmq "$dir" 2>/dev/null || true
      node start "$port" "$dir"
      ;;
    start)
      port_open "$port" && return 0
      node_env rabbitmq-server -detached >/dev/null 2>&1
      wait_until 60 port_open "$port" || { echo "rabbitmq node $name did not start; see $dir/log" >&2; exit 1; }
      ;;
    stop | down)
      rabbitmqctl -q -n "$name" stop >/dev/null 2>&1 || true
      wait_until 30 port_closed "$port"
      ;;
    kill)
      if [ -f "$dir/pid" ]; then kill -9 "$(cat "$dir/pid")" 2>/dev/null || true; fi
      wait_until 10 port_closed "$port"
      ;;
    *) echo "usage: $0 node up|start|stop|kill|down <port> <dir>" >&2; exit 2 ;;
  esac
}

case "$action" in
  up) install; start; echo "rabbitmq ready on amqp://guest:guest@127.0.0.1:5672/" ;;
  down) stop ;;
  restart) stop; start ;;
  node) shift; node "$@" ;;
  *) echo "usage: $0 up|down|restart|node ..." >&2; exit 2 ;;
esac
