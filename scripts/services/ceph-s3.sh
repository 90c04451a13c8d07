#!/usr/bin/env bash
# A real S3 server for tests: a throwaway single-node Ceph (1 mon, 1 osd on bluestore) with the RADOS
# Gateway. Ceph RGW is a production S3 implementation from Debian's packages (no MinIO binary can be
# downloaded on the build machines).
#   up          install when missing, start from scratch unless already answering (idempotent)
#   down        stop every daemon this script started
#   stop-rgw    stop only the S3 gateway (simulated S3 outage); start-rgw brings it back
#   gateway up|start|stop|down <name> <port> [dir]
#               one more gateway on this cluster, private to a suite or the bench (same users and
#               pools, its own process and port), so that stopping it or loading it disturbs no one
#               else: `up` starts it afresh (empty dir), `start` only when not answering, `stop`/`down`
#               SIGTERM (SIGKILL after 5 s). Dir: /tmp/imgr-rgw-<name> (pid, logs). Extra radosgw options
#               in GATEWAY_OPTIONS (e.g. "--debug_rgw=0/0" for the bench).
# Env: CEPH_DIR (/tmp/imgr-ceph), RGW_BIND (127.0.0.1), RGW_PORT (7480), S3_ACCESS_KEY/S3_SECRET_KEY (test/testsecret),
#      OBJECTSTORE (bluestore: Ceph's production engine on a sparse file, memory bounded; memstore: all in RAM)
set -euo pipefail
D=${CEPH_DIR:-/tmp/imgr-ceph}
BIND=${RGW_BIND:-127.0.0.1}
PORT=${RGW_PORT:-7480}
STORE=${OBJECTSTORE:-bluestore}
AK=${S3_ACCESS_KEY:-test}
SK=${S3_SECRET_KEY:-testsecret}
export CEPH_CONF="$D/ceph.conf"
# shellcheck source=scripts/lib/apt.sh
source "$(dirname "$0")/../lib/apt.sh"

answering() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://${2:-$BIND}:${1:-$PORT}/" 2>/dev/null)" = 200 ]; }
port_closed() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

kill_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

stop_all() { for p in rgw osd mon; do kill_pidfile "$D/run/$p.pid"; done; }

# start_gateway <client name> <host> <port> <pid file> <stdout file> [radosgw options...]
start_gateway() {
  local name=$1 host=$2 port=$3 pidfile=$4 out=$5
  shift 5
  echo "--- start $(date -u +%FT%T.%3N)" >>"$out"
  setsid radosgw -f -n "$name" "$@" >>"$out" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 240); do answering "$port" "$host" && return 0; sleep 0.25; done
  echo "radosgw $name not answering on :$port; see $(dirname "$out")" >&2
  exit 1
}

start_rgw() { start_gateway client.rgw.a "$BIND" "$PORT" "$D/run/rgw.pid" "$D/log/rgw.stdout"; }

# A gateway of a suite's own: options on the command line, since ceph.conf only knows client.rgw.a.
gateway() {
  local action=${1:?gateway up|start|stop|down <name> <port> [dir]} name=${2:?gateway name} port=${3:?gateway port}
  local dir=${4:-/tmp/imgr-rgw-$name}
  case "$action" in
    up) kill_pidfile "$dir/pid"; rm -rf "$dir"; gateway start "$name" "$port" "$dir" ;;
    start)
      answering "$port" 127.0.0.1 && return 0
      mkdir -p "$dir"
      # shellcheck disable=SC2086  # GATEWAY_OPTIONS is a list of options
      start_gateway "client.rgw.$name" 127.0.0.1 "$port" "$dir/pid" "$dir/stdout" \
        --rgw-frontends "beast endpoint=127.0.0.1:$port tcp_nodelay=1" --rgw-data "$dir" --rgw-dns-name localhost \
        --rgw-thread-pool-size 64 --log-file "$dir/rgw.log" --admin-socket "$dir/rgw.asok" --pid-file "$dir/radosgw.pid" \
        ${GATEWAY_OPTIONS:-}
      ;;
    stop | down)
      kill_pidfile "$dir/pid"
      for _ in $(seq 100); do port_closed "$port" && break; sleep 0.1; done
      ;;
    *) echo "usage: $0 gateway up|start|stop|down <name> <port> [dir]" >&2; exit 2 ;;
  esac
}

install() {
  for bin in radosgw ceph-mon; do need_apt "$bin" ceph-mon ceph-osd radosgw ceph-common; done
}

up() {
  answering && { echo "ceph rgw already answering on http://$BIND:$PORT"; return; }
  install
  stop_all 2>/dev/null || true
  rm -rf "$D"
  mkdir -p "$D"/{mon,osd/ceph-0,run,log}
  local fsid osd_uuid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$CEPH_CONF" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:3300,v1:127.0.0.1:6789
public addr = 127.0.0.1
cluster addr = 127.0.0.1
# a throwaway test cluster on loopback: no cephx
auth cluster required = none
auth service required = none
auth client required = none
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$type.pid
keyring = $D/keyring
# one OSD: one replica, few placement groups
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
# commit map changes fast (pool creation is otherwise ~1 s each)
paxos propose interval = 0.05
paxos min wait = 0.01
mon max pg per osd = 1000
ms bind ipv6 = false
# radosgw wants a secure mon session by default, which auth=none cannot give
ms mon client mode = crc secure
[mon]
mon data = $D/mon/ceph-\$id
mon cluster log file = $D/log/cluster.log
[osd]
osd data = $D/osd/ceph-\$id
osd objectstore = $STORE
# bluestore on a 20 GiB sparse file in the folder, with a small cache: memory stays bounded however
# much the suites write and delete (memstore keeps growing under churn: 15 GB seen for a 4 GiB cap)
bluestore block create = true
bluestore block size = 21474836480
bluestore block db create = false
bluestore block wal create = false
bluestore cache autotune = false
bluestore cache size = 134217728
osd memory target = 939524096
memstore device bytes = 4294967296
osd op num shards = 1
osd op num threads per shard = 2
[client.rgw.a]
# tcp_nodelay: without it the gateway's last small segment of a response waits for the client's delayed
# ACK, and about one GET in ten took 40 ms instead of 1 ms (measured); Go servers such as MinIO set it by default
rgw frontends = beast endpoint=$BIND:$PORT tcp_nodelay=1
rgw data = $D/rgw
rgw thread pool size = 64
rgw dns name = localhost
CONF
  ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --addv a "[v2:127.0.0.1:3300,v1:127.0.0.1:6789]" --fsid "$fsid" "$D/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring"
  ceph-mon -i a
  ceph --connect-timeout 20 osd new "$osd_uuid" >/dev/null
  ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" 2>>"$D/log/osd-mkfs.log"
  ceph-osd -i 0
  for _ in $(seq 120); do ceph osd dump 2>/dev/null | grep -q '^osd.0 up' && break; sleep 0.5; done
  ceph osd dump | grep -q '^osd.0 up' || { echo "osd.0 did not come up; see $D/log" >&2; exit 1; }
  start_rgw
  timeout 60 radosgw-admin user create --uid=test --display-name="imgr tests" --access-key="$AK" --secret-key="$SK" >/dev/null
  echo "ceph rgw ready on http://$BIND:$PORT (access $AK)"
}

case "${1:-up}" in
  up) up ;;
  down) stop_all ;;
  stop-rgw) kill_pidfile "$D/run/rgw.pid" ;;
  start-rgw) answering || start_rgw ;;
  gateway) shift; gateway "$@" ;;
  *) echo "usage: $0 up|down|stop-rgw|start-rgw|gateway ..." >&2; exit 2 ;;
esac
