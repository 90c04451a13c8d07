#!/usr/bin/env bash
# Private RabbitMQ node and S3 gateway for the failure suite, so that stopping them hurts no other
# suite sharing the machine's broker and gateway (scripts/services/*.sh). Same packages, same Ceph
# cluster (its RGW is a second gateway on the cluster that scripts/services/ceph-s3.sh started).
#
#   rabbit-up | rabbit-stop | rabbit-kill | rabbit-start | rabbit-down   AMQP on 127.0.0.1:$IMGR_FAILURE_RABBIT_PORT
#   rgw-up    | rgw-stop    | rgw-start   | rgw-down                      S3 on 127.0.0.1:$IMGR_FAILURE_RGW_PORT
#   down                                                                  both
#
# Env: IMGR_FAILURE_RABBIT_PORT (5679), IMGR_FAILURE_RABBIT_DIST_PORT (port + 20000),
# IMGR_FAILURE_RGW_PORT (7489), IMGR_FAILURE_DIR (/tmp/imgr-failure): scripts/test.d/50-failure.sh
# picks free ports and a fresh folder, so that two runs on one machine do not share a broker.
#
# rabbit-stop halts the whole node (`rabbitmqctl stop`, what scripts/services/rabbitmq.sh restart does),
# not only the application (`stop_app`): the Erlang VM and its listener go away as on a crash or a
# package upgrade, and the durable queue is recovered from disk on start. It costs ~3 s more than
# stop_app/start_app, which the suite can afford.
# rgw-stop sends SIGTERM to the gateway (SIGKILL after 5 s), as scripts/services/ceph-s3.sh stop-rgw does.
set -euo pipefail
BASE=${IMGR_FAILURE_DIR:-/tmp/imgr-failure}
RABBIT_DIR=$BASE/rabbit
RABBIT_PORT=${IMGR_FAILURE_RABBIT_PORT:-5679}
DIST_PORT=${IMGR_FAILURE_RABBIT_DIST_PORT:-$((RABBIT_PORT + 20000))}
NODE=imgr-failure-$RABBIT_PORT@localhost
RGW_DIR=$BASE/rgw
RGW_PORT=${IMGR_FAILURE_RGW_PORT:-7489}
export CEPH_CONF=${CEPH_DIR:-/tmp/imgr-ceph}/ceph.conf

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_until() { # seconds, command...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
port_closed() { ! port_open "$1"; }

rabbit_env() {
  # A node of its own: name, ports, data and logs apart from the machine's default node.
  env RABBITMQ_NODENAME="$NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$RABBIT_PORT" \
    RABBITMQ_DIST_PORT="$DIST_PORT" RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia" \
    RABBITMQ_LOG_BASE="$RABBIT_DIR/log" RABBITMQ_PID_FILE="$RABBIT_DIR/pid" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins" "$@"
}

rabbit_start() {
  port_open "$RABBIT_PORT" && return
  rabbit_env rabbitmq-server -detached >/dev/null 2>&1
  wait_until 60 port_open "$RABBIT_PORT" || { echo "rabbitmq node $NODE did not start; see $RABBIT_DIR/log" >&2; exit 1; }
}

rabbit_stop() {
  rabbitmqctl -q -n "$NODE" stop >/dev/null 2>&1 || true
  wait_until 30 port_closed "$RABBIT_PORT"
}

# A crash: SIGKILL to the node's Erlang VM, no goodbye to the clients.
rabbit_kill() {
  if [ -f "$RABBIT_DIR/pid" ]; then kill -9 "$(cat "$RABBIT_DIR/pid")" 2>/dev/null || true; fi
  wait_until 10 port_closed "$RABBIT_PORT"
}

rabbit_up() {
  rabbit_stop
  rm -rf "$RABBIT_DIR"
  mkdir -p "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
  touch "$RABBIT_DIR/enabled_plugins"
  # The server drops to the rabbitmq user: it must reach and own its folders.
  chmod 755 "$BASE"
  chown -R rabbitmq:rabbitmq "$RABBIT_DIR" 2>/dev/null || true
  rabbit_start
}

rgw_answering() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RGW_PORT/" 2>/dev/null)" = 200 ]; }

rgw_start() {
  rgw_answering && return
  mkdir -p "$RGW_DIR"
  echo "--- start $(date -u +%FT%T.%3N)" >>"$RGW_DIR/stdout"
  # Options on the command line: the shared ceph.conf only knows the default gateway client.rgw.a.
  setsid radosgw -f -n "client.rgw.failure$RGW_PORT" \
    --rgw-frontends "beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1" --rgw-data "$RGW_DIR" --rgw-dns-name localhost \
    --rgw-thread-pool-size 64 --log-file "$RGW_DIR/rgw.log" >>"$RGW_DIR/stdout" 2>&1 </dev/null &
  echo $! >"$RGW_DIR/pid"
  wait_until 60 rgw_answering || { echo "radosgw did not answer on :$RGW_PORT; see $RGW_DIR" >&2; exit 1; }
}

rgw_stop() {
  [ -f "$RGW_DIR/pid" ] || return 0
  local pid
  pid=$(cat "$RGW_DIR/pid")
  kill "$pid" 2>/dev/null || true
  wait_until 5 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
  rm -f "$RGW_DIR/pid"
  wait_until 10 port_closed "$RGW_PORT"
}

case "${1:-}" in
  rabbit-up) rabbit_up ;;
  rabbit-start) rabbit_start ;;
  rabbit-stop) rabbit_stop ;;
  rabbit-kill) rabbit_kill ;;
  rabbit-down) rabbit_stop ;;
  rgw-up) rgw_stop; rm -rf "$RGW_DIR"; rgw_start ;;
  rgw-start) rgw_start ;;
  rgw-stop) rgw_stop ;;
  rgw-down) rgw_stop ;;
  # Logs stay in the folders for a look after a failure; the next *-up starts afresh.
  down) rabbit_stop; rgw_stop ;;
  *) echo "usage: $0 rabbit-up|rabbit-start|rabbit-stop|rabbit-kill|rabbit-down|rgw-up|rgw-start|rgw-stop|rgw-down|down" >&2; exit 2 ;;
esac
