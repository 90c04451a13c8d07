#!/usr/bin/env bash
# Runs the built images together, as production does, against the host's RabbitMQ and Ceph S3:
#   API x2 + worker x2 (imgr image, commands `api` / `worker`) + web (imgr-web image),
#   every container with a read-only root filesystem (--read-only, only /tmp writable), no capabilities,
#   behind the project's ingress HAProxy config (deploy/nomad/ingress.nomad.hcl rendered with static servers
#   by deploy/ingress/render-static.mjs) running on the host.
# Then checks: all containers healthy (their own HEALTHCHECK), every process non-root, the root filesystem
# really read-only, the web container's files, scripts/smoke.sh through the ingress (upload -> four variants ->
# GET, through the same origin that serves the web page), an API stopped during an upload (drained, 201),
# `sweep` run once, and a graceful `docker stop` of the rest (exit 0, well before the kill deadline).
# Removes everything it started.
#
# Networking: API and worker containers use --network host. They must reach RabbitMQ and Ceph RGW, which the
# service scripts bind to 127.0.0.1, and RabbitMQ's guest user may only log in over loopback; host networking
# reaches both unchanged, without rebinding services other tests share. The web container needs no outbound
# connection, so it stays on the default bridge with its port published on 127.0.0.1 only.
#
# env: IMGR_IMAGE (imgr:test), IMGR_WEB_IMAGE (imgr-web:test), IMGR_TEST_OUT, PORT_BASE (18100),
#      SMOKE_RUNS (3), KEEP_STACK=1 (leave it running for debugging)
set -euo pipefail
cd "$(dirname "$0")/../.."

IMGR_IMAGE=${IMGR_IMAGE:-imgr:test}
IMGR_WEB_IMAGE=${IMGR_WEB_IMAGE:-imgr-web:test}
OUT=${IMGR_TEST_OUT:-$PWD/test-results}
mkdir -p "$OUT"
P=${PORT_BASE:-18100}
API_PORTS=($((P + 1)) $((P + 2)))
WORKER_PORTS=($((P + 11)) $((P + 12)))
WEB_PORT=$((P + 20))
FRONT_PORT=$((P + 80))
MONITOR_PORT=$((P + 84))
RUN_ID=t70-$$
VHOST=imgr-$RUN_ID
BUCKET=imgr-$RUN_ID
LABEL=imgr.test=$RUN_ID
work=$(mktemp -d)
haproxy_pid=

log() { echo "stack-test: $*" >&2; }
fail() {
  echo "stack-test: FAIL: $*" >&2
  for c in $(docker ps -aq --filter "label=$LABEL" 2>/dev/null); do
    echo "--- logs of $(docker inspect -f '{{.Name}}' "$c")" >&2
    docker logs --tail 30 "$c" >&2 2>&1 || true
  done
  exit 1
}

cleanup() {
  local rc=$?
  if [ "${KEEP_STACK:-0}" = 1 ]; then log "KEEP_STACK=1: leaving the stack up"; return; fi
  for c in $(docker ps -aq --filter "label=$LABEL" 2>/dev/null); do
    docker logs "$c" > "$OUT/docker-$(docker inspect -f '{{.Name}}' "$c" | tr -d /).log" 2>&1 || true
  done
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null 2>&1 || true
  if [ -n "$haproxy_pid" ]; then kill "$haproxy_pid" 2>/dev/null || true; fi
  rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1 || true
  node tests/support/s3-buckets.mjs remove "$BUCKET" >/dev/null 2>&1 || true
  rm -rf "$work"
  return $rc
}
trap cleanup EXIT

for port in "${API_PORTS[@]}" "${WORKER_PORTS[@]}" "$WEB_PORT" "$FRONT_PORT" "$MONITOR_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port is taken (set PORT_BASE)"; fi
done

scripts/services/rabbitmq.sh up >&2
scripts/services/ceph-s3.sh up >&2
source scripts/lib/apt.sh
need_apt haproxy haproxy

# Our own vhost and bucket: the queue `celery` and the bucket name are shared with other test steps otherwise.
rabbitmqctl -q add_vhost "$VHOST" >/dev/null
rabbitmqctl -q set_permissions -p "$VHOST" guest '.*' '.*' '.*' >/dev/null

common=(--detach --label "$LABEL" --read-only --tmpfs "/tmp:rw,size=64m,mode=1777" --cap-drop ALL
  --security-opt no-new-privileges)
app_env=(-e "CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/$VHOST"
  -e S3_ENDPOINT_URL=http://127.0.0.1:7480 -e AWS_ACCESS_KEY_ID=test -e AWS_SECRET_ACCESS_KEY=testsecret
  -e AWS_REGION_NAME=us-east-1 -e "S3_BUCKET_NAME=$BUCKET" -e IMGR_STORAGE=s3 -e LOG_LEVEL=info
  -e HOST=127.0.0.1)   # host network: listen on loopback only

for i in 0 1; do
  docker run "${common[@]}" --network host --name "imgr-$RUN_ID-api$((i + 1))" "${app_env[@]}" \
    -e "PORT=${API_PORTS[$i]}" "$IMGR_IMAGE" api >/dev/null
  docker run "${common[@]}" --network host --name "imgr-$RUN_ID-worker$((i + 1))" "${app_env[@]}" \
    -e "PORT=${WORKER_PORTS[$i]}" "$IMGR_IMAGE" worker >/dev/null
done
docker run "${common[@]}" --name "imgr-$RUN_ID-web" -p "127.0.0.1:$WEB_PORT:8080" "$IMGR_WEB_IMAGE" >/dev/null
containers=("imgr-$RUN_ID-api1" "imgr-$RUN_ID-api2" "imgr-$RUN_ID-worker1" "imgr-$RUN_ID-worker2" "imgr-$RUN_ID-web")

# The production ingress config with static servers; only the listening addresses are moved to loopback
# test ports (the job binds :8080/:8081/:8404 on the cluster nodes).
if [ -f deploy/ingress/render-static.mjs ] && [ -f deploy/nomad/ingress.nomad.hcl ]; then
  front_source="deploy/nomad/ingress.nomad.hcl (rendered by deploy/ingress/render-static.mjs)"
  node deploy/ingress/render-static.mjs \
    --api "127.0.0.1:${API_PORTS[0]},127.0.0.1:${API_PORTS[1]}" --web "127.0.0.1:$WEB_PORT" > "$work/haproxy.cfg"
  sed -i -e "s/^\([[:space:]]*\)bind :8080\$/\1bind 127.0.0.1:$FRONT_PORT/" -e '/^[[:space:]]*bind :8081$/d' \
    -e "s/^\([[:space:]]*\)bind :8404\$/\1bind 127.0.0.1:$MONITOR_PORT/" "$work/haproxy.cfg"
  grep -q "bind 127.0.0.1:$FRONT_PORT" "$work/haproxy.cfg" || fail "the ingress config no longer binds :8080"
else
  front_source="tests/docker/front.haproxy.cfg (deploy/ingress not present)"
  sed -e "s/@FRONT@/127.0.0.1:$FRONT_PORT/" -e "s/@API1@/127.0.0.1:${API_PORTS[0]}/" \
    -e "s/@API2@/127.0.0.1:${API_PORTS[1]}/" -e "s/@WEB@/127.0.0.1:$WEB_PORT/" \
    tests/docker/front.haproxy.cfg > "$work/haproxy.cfg"
fi
haproxy -c -q -f "$work/haproxy.cfg" || fail "haproxy rejects the front config"
haproxy -W -db -f "$work/haproxy.cfg" > "$OUT/docker-front-haproxy.log" 2>&1 &
haproxy_pid=$!
log "front: $front_source on 127.0.0.1:$FRONT_PORT"

# Every container reports healthy through its own HEALTHCHECK (node fetch /health; node fetch /config.json).
deadline=$((SECONDS + 180))
for c in "${containers[@]}"; do
  while :; do
    state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c")
    [ "$state" = "running healthy" ] && break
    case "$state" in exited*|dead*|*unhealthy) fail "$c is $state" ;; esac
    [ "$SECONDS" -lt "$deadline" ] || fail "$c not healthy after 180 s ($state)"
    sleep 1
  done
done
log "all ${#containers[@]} containers healthy after $((SECONDS - deadline + 180)) s"

# Non-root: every process of every container, seen from the host.
for c in "${containers[@]}"; do
  uids=$(docker top "$c" -eo pid,uid | awk 'NR > 1 {print $2}' | sort -u | tr '\n' ' ')
  [ -n "$uids" ] || fail "$c: no process listed"
  for u in $uids; do [ "$u" != 0 ] || fail "$c has a process running as root"; done
  [ "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$c")" = true ] || fail "$c: root fs not read-only"
done
log "every process non-root (uids: imgr $(docker top "${containers[0]}" -eo pid,uid | awk 'END {print $2}'), web $(docker top "${containers[4]}" -eo pid,uid | awk 'END {print $2}'))"

# Read-only root, writable /tmp, seen from inside (no shell in the imgr image: node does the writes).
# probe <dir>: node code that fails unless <dir> is read-only and /tmp writable
probe() { printf 'const fs=require("node:fs"); try { fs.writeFileSync("%s/probe", "x"); process.exit(3) } catch (e) { if (e.code !== "EROFS") throw e } fs.writeFileSync("/tmp/probe", "x")' "$1"; }
docker exec "${containers[0]}" /usr/local/bin/node -e "$(probe /app)" || fail "api: /app writable or /tmp not writable"
docker exec "${containers[2]}" /usr/local/bin/node -e "$(probe /app)" || fail "worker: /app writable or /tmp not writable"
docker exec "${containers[4]}" /usr/local/bin/node -e "$(probe /srv/www)" || fail "web: /srv/www writable or /tmp not writable"

# The web container alone: the page, the runtime config, the single-page-app fallback.
curl -fsS "http://127.0.0.1:$WEB_PORT/" | grep -qi '<html' || fail "web: / is not the page"
[ "$(curl -fsS "http://127.0.0.1:$WEB_PORT/config.json" | node -p 'JSON.parse(require("fs").readFileSync(0)).endpoint')" = / ] \
  || fail "web: /config.json is not {\"endpoint\": \"/\"}"
# an unknown path: status 404 (no soft-404 for crawlers), body the page, which shows its own "not found"
code=$(curl -sS -o "$work/unknown" -w '%{http_code}' "http://127.0.0.1:$WEB_PORT/no/such/page")
if [ "$code" != 404 ] || ! grep -qi '<html' "$work/unknown"; then fail "web: an unknown path does not get the page with a 404"; fi

# Both API instances answer through the ingress routing rule (JSON index for non-browsers).
for port in "${API_PORTS[@]}"; do
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || fail "API on $port not ready"
done
curl -fsS -H 'Accept: application/json' "http://127.0.0.1:$FRONT_PORT/" | grep -q upload_url || fail "front: GET / JSON is not the API index"
curl -fsS -H 'Accept: text/html' "http://127.0.0.1:$FRONT_PORT/" | grep -qi '<html' || fail "front: GET / for a browser is not the page"

# Smoke test through the single origin, a few times (timings for the report).
: > "$OUT/docker-smoke.jsonl"
for _ in $(seq "${SMOKE_RUNS:-3}"); do
  scripts/smoke.sh "http://127.0.0.1:$FRONT_PORT" | tee -a "$OUT/docker-smoke.jsonl" || fail "smoke test through the ingress"
done

# SIGTERM reaches node through tini while a request is in flight: a slow upload (about 3 s) started before
# `docker stop` of its API container still gets its 201, and the container exits 0.
python3 -c 'import os,struct,sys,zlib
w=h=640; raw=b"".join(b"\0"+os.urandom(w*3) for _ in range(h))
c=lambda k,d: struct.pack(">I",len(d))+k+d+struct.pack(">I",zlib.crc32(k+d)&0xffffffff)
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n"+c(b"IHDR",struct.pack(">IIBBBBB",w,h,8,2,0,0,0))+c(b"IDAT",zlib.compress(raw,1))+c(b"IEND",b""))' > "$work/noise.png"
curl -sS -o "$work/drain.json" -w '%{http_code}' --limit-rate 400k -F "file=@$work/noise.png;type=image/png" \
  "http://127.0.0.1:${API_PORTS[0]}/image" > "$work/drain.code" 2> "$work/drain.err" &
upload=$!
sleep 1
t0=$(date +%s%3N)
docker stop -t 30 "${containers[0]}" >/dev/null
drain_ms=$(( $(date +%s%3N) - t0 ))
wait "$upload" || true
[ "$(cat "$work/drain.code")" = 201 ] || fail "upload in flight during docker stop got $(cat "$work/drain.code") $(cat "$work/drain.err" "$work/drain.json")"
[ "$(docker inspect -f '{{.State.ExitCode}}' "${containers[0]}")" = 0 ] || fail "api1 did not exit 0 after draining"
log "api1 drained an in-flight upload on docker stop ($drain_ms ms, upload 201, exit 0)"
echo "{\"container\":\"api1\",\"stop_ms\":$drain_ms,\"exit\":0,\"in_flight_upload\":201}" > "$OUT/docker-stop.jsonl"

# The third role of the image: `sweep` runs once (read-only root, non-root) and reports on the bucket, which
# now holds at least the original of the drained upload.
sweep_common=("${common[@]/--detach/--rm}")
report=$(docker run "${sweep_common[@]}" --network host "${app_env[@]}" "$IMGR_IMAGE" sweep 2> "$work/sweep.err") \
  || { cat "$work/sweep.err" >&2; fail "sweep exited non-zero"; }
originals=$(node -p 'JSON.parse(process.argv[1]).originals' "$(tail -1 <<<"$report")") || fail "sweep printed no report: $report"
[ "$originals" -ge 1 ] || fail "sweep saw no original in the bucket: $report"
log "sweep ran once and exited 0: $(tail -1 <<<"$report")"

# Graceful stop of the others: SIGTERM through tini, exit 0, well before docker's 30 s kill deadline.
for c in "${containers[@]:1}"; do
  t0=$(date +%s%3N)
  docker stop -t 30 "$c" >/dev/null
  ms=$(( $(date +%s%3N) - t0 ))
  code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
  [ "$code" = 0 ] || fail "$c exited $code on SIGTERM (expected a clean stop, 0)"
  [ "$ms" -lt 25000 ] || fail "$c took $ms ms to stop"
  echo "{\"container\":\"${c#imgr-"$RUN_ID"-}\",\"stop_ms\":$ms,\"exit\":$code}" >> "$OUT/docker-stop.jsonl"
  log "${c#imgr-"$RUN_ID"-} stopped in $ms ms, exit $code"
done
log "ok"
