#!/usr/bin/env bash
# Monitoring as code (deploy/monitoring, deploy/nomad/monitoring.nomad.hcl):
#   1. the alert rules pass `promtool check rules` and their unit tests (`promtool test rules`);
#   2. both Prometheus configurations pass `promtool check config`;
#   3. the monitoring Nomad jobs parse and point at services and files that exist;
#   4. a real Prometheus scrapes a running imgr: every imgr_* metric the rules and the dashboard use is
#      one imgr exports, and an alert fires on a provoked condition (uploads while the broker is down:
#      ImgrPublishConfirmFailures), and `imgr sweep` pushes its report to a Pushgateway, from which a
#      sweep that re-enqueued an image fires ImgrSweepRequeued.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${IMGR_TEST_OUT:-$PWD/test-results}
mkdir -p "$OUT"
source scripts/lib/apt.sh
# Debian 12's prometheus package ships both prometheus and promtool (2.42).
need_apt promtool prometheus
need_apt prometheus-pushgateway prometheus-pushgateway

work=$(mktemp -d)
pids=()
vhosts=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for vhost in "${vhosts[@]}"; do rabbitmqctl delete_vhost "$vhost" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "--- alert rules"
(cd deploy/monitoring/prometheus && promtool check rules rules/*.yml && promtool test rules tests/*.test.yml) \
  2>&1 | tee "$OUT/monitoring-rules.txt"
[ "${PIPESTATUS[0]}" = 0 ]

echo "--- prometheus configurations"
rules_dir=$PWD/deploy/monitoring/prometheus/rules
sed "s#/etc/prometheus/rules#$rules_dir#" deploy/monitoring/prometheus/prometheus.compose.yml > "$work/compose.yml"
# Debian's build leaves out Consul discovery: check the cluster file with static targets in its place
# (everything else, relabelling included, is checked as written).
# The Nomad scrape's TLS block is rendered both ways, as the job's meta decides: without (plain HTTP
# agents) and with it (a CA file that exists, the certificates' server name).
render_nomad() {
  local tls=$1
  sed -e "s#/local/rules#$rules_dir#" -e 's/\[\[ env "NOMAD_META_floating_ip" \]\]/172.16.3.10/' \
    -e "s/consul_sd_configs: \[{ server: 127.0.0.1:8500, services: \[\([a-z-]*\)\] }\]/static_configs: [{ targets: ['\1:80'] }]/" \
    deploy/monitoring/prometheus/prometheus.nomad.yml |
    if [ "$tls" = tls ]; then
      sed -e '/\[\[- if env "NOMAD_META_nomad_tls_server_name" \]\]/d' -e '/\[\[- end \]\]/d' \
        -e 's/\[\[ env "NOMAD_META_nomad_tls_server_name" \]\]/client.global.nomad/' -e "s#/etc/nomad-ca.pem#/etc/ssl/certs/ca-certificates.crt#"
    else
      sed -e '/\[\[- if env "NOMAD_META_nomad_tls_server_name" \]\]/,/\[\[- end \]\]/d'
    fi
}
render_nomad plain > "$work/nomad.yml"
render_nomad tls > "$work/nomad-tls.yml"
! grep -q -e consul_sd_configs -e '\[\[' "$work/nomad.yml" "$work/nomad-tls.yml"
grep -q 'scheme: https' "$work/nomad-tls.yml" && ! grep -q 'scheme: https' "$work/nomad.yml"
promtool check config "$work/compose.yml"
promtool check config "$work/nomad.yml"
promtool check config "$work/nomad-tls.yml"

echo "--- monitoring Nomad jobs"
HCL_DIR=${IMGR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/imgr-test-tools}/hcl2json-0.21.0
if [ ! -f "$HCL_DIR/node_modules/@cdktf/hcl2json/package.json" ]; then
  mkdir -p "$HCL_DIR"
  echo '{"private":true}' > "$HCL_DIR/package.json"
  (cd "$HCL_DIR" && timeout 300 npm install --no-save --no-audit --no-fund --loglevel=error @cdktf/hcl2json@0.21.0 >/dev/null)
fi
IMGR_HCL2JSON_DIR=$HCL_DIR node --test tests/deploy/monitoring-jobs.test.mjs 2>&1 | tee "$OUT/monitoring-jobs.txt"
[ "${PIPESTATUS[0]}" = 0 ]

echo "--- a real Prometheus scraping imgr"
[ -f cli/dist/main.js ] || npx tsc -b
version=$(node cli/dist/main.js --version)
echo "$version"
expected_version=$(node -p 'require("./package.json").version')
case $version in "imgr $expected_version ("*) ;; *) echo "unexpected: $version" >&2; exit 1 ;; esac

# imgr with local storage and a broker that is not there (a closed port): uploads are stored, then
# refused with 503 queue-unavailable because the resize tasks cannot be confirmed.
read -r imgr_port closed_port push_port prom_port < <(node tests/support/ports.mjs 4)
PORT=$imgr_port HOST=127.0.0.1 IMGR_STORAGE=fs IMGR_DATA_DIR="$work/data" IMGR_REVISION=ci-check \
  CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:$closed_port/" IMGR_PUBLISH_TIMEOUT_MS=500 \
  node cli/dist/main.js all > "$OUT/monitoring-imgr.log" 2>&1 &
pids+=($!)

# A persistence file of its own: Debian's default keeps pushes of earlier runs in /var/lib.
prometheus-pushgateway --web.listen-address="127.0.0.1:$push_port" --persistence.file="$work/pushgateway.data" > "$OUT/monitoring-pushgateway.log" 2>&1 &
pids+=($!)

cat > "$work/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ['$rules_dir/*.yml']
scrape_configs:
  - job_name: imgr-api
    static_configs: [{ targets: ['127.0.0.1:$imgr_port'] }]
  - job_name: pushgateway
    honor_labels: true
    static_configs: [{ targets: ['127.0.0.1:$push_port'] }]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" > "$OUT/monitoring-prometheus.log" 2>&1 &
pids+=($!)
prom=http://127.0.0.1:$prom_port

# Bounded waits (the test fails at the bound), not timed assertions.
wait_for() { # <description> <command...>
  local description=$1
  shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "gave up waiting for: $description" >&2
  return 1
}
scraped() { curl -fsS "$prom/api/v1/query?query=imgr_build_info" | grep -q '"revision":"ci-check"'; }
wait_for "Prometheus to scrape imgr" scraped

# Every imgr_* name in the rules and the dashboard is exported by imgr (HELP lines include metrics
# without samples yet), except those that come from elsewhere.
curl -fsS "http://127.0.0.1:$imgr_port/metrics" | sed -n 's/^# HELP \(imgr_[a-z_]*\) .*/\1/p' | sort -u > "$work/exported"
# Pushed by the sweep and the backup; written by keepalived's notify script; absent outside a memory-limited cgroup.
printf '%s\n' imgr_sweep_images imgr_sweep_last_run_timestamp_seconds imgr_backup_last_success_timestamp_seconds imgr_floating_ip_held imgr_memory_limit_bytes >> "$work/exported"
grep -ohE 'imgr_[a-z_]+' deploy/monitoring/prometheus/rules/*.yml deploy/monitoring/grafana/dashboards/*.json |
  sed -E 's/_(bucket|count|sum)$//' | sort -u > "$work/used"
missing=$(comm -23 "$work/used" <(sort -u "$work/exported"))
[ -z "$missing" ] || { echo "used in rules or dashboards but not exported: $missing" >&2; exit 1; }
echo "every metric the rules and dashboard use is exported ($(wc -l < "$work/used") names)"

firing() {
  curl -fsS "$prom/api/v1/alerts" | node -e '
    const alerts = JSON.parse(require("node:fs").readFileSync(0, "utf8")).data.alerts;
    process.exit(alerts.some((alert) => alert.labels.alertname === process.argv[1] && alert.state === "firing") ? 0 : 1);' "$1"
}
if firing ImgrPublishConfirmFailures; then echo "ImgrPublishConfirmFailures fires before anything failed" >&2; exit 1; fi
python3 -c 'import sys, zlib, struct
chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
  + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))' > "$work/pixel.png"
status=$(curl -s -o "$work/upload.json" -w '%{http_code}' -F "file=@$work/pixel.png;type=image/png" "http://127.0.0.1:$imgr_port/image")
echo "upload with the broker down: HTTP $status $(cat "$work/upload.json")"
[ "$status" = 503 ]
wait_for "ImgrPublishConfirmFailures to fire" firing ImgrPublishConfirmFailures
echo "ImgrPublishConfirmFailures fired"

# A sweep over a store holding an original without its sizes re-enqueues it and says so.
mkdir -p "$work/sweep/original"
cp "$work/pixel.png" "$work/sweep/original/AbCd1234"
printf '{"contentType":"image/png","metadata":{}}' > "$work/sweep/original/AbCd1234.meta.json"
if firing ImgrSweepRequeued; then echo "ImgrSweepRequeued fires before any sweep" >&2; curl -s "$prom/api/v1/alerts" >&2; exit 1; fi
# The sweep publishes to a real broker: a virtual host of this run on the shared RabbitMQ.
scripts/services/rabbitmq.sh up >/dev/null
vhost=imgr-monitoring-$$-$RANDOM
rabbitmqctl add_vhost "$vhost" >/dev/null
vhosts+=("$vhost")
rabbitmqctl set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
report=$(IMGR_STORAGE=fs IMGR_DATA_DIR="$work/sweep" CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672/$vhost" IMGR_SWEEP_MIN_AGE_S=0 \
  IMGR_PUSHGATEWAY_URL="http://127.0.0.1:$push_port" LOG_LEVEL=warn node cli/dist/main.js sweep)
echo "sweep: $report"
[[ $report == *'"requeued":1'* ]]
wait_for "ImgrSweepRequeued to fire" firing ImgrSweepRequeued
curl -fsS "$prom/api/v1/alerts" > "$OUT/monitoring-alerts.json"
echo "ImgrSweepRequeued fired; monitoring checks passed"
