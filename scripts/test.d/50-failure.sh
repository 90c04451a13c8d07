#!/usr/bin/env bash
# The failure suite: real imgr processes (`node cli/dist/main.js api|worker|sweep`) against a
# real RabbitMQ and Ceph S3, with real signals and outages:
#   worker-sigkill        SIGKILL workers again and again during 200 uploads: variants missing 0
#   broker-restart        stop and start the RabbitMQ node during 60 s of uploads: 500s 0, 503 + Retry-After fast
#   s3-outage             stop the S3 gateway for 10 s under uploads and downloads: only 503s, recovery time
#   api-sigterm-ingress   SIGTERM one of two APIs behind the HAProxy ingress under load: failed requests 0, exit 0
#   purge-sweep           purge the celery queue after uploads: `imgr sweep` restores every variant
#   poison-message        a task that kills every worker taking it: dead-lettered after N lost deliveries
# Each scenario prints one JSON line of figures (with "pass") and appends it to
# $IMGR_TEST_OUT/failure-suite.jsonl. The broker and the S3 gateway it stops are private to this step
# (`scripts/services/rabbitmq.sh node`, `scripts/services/ceph-s3.sh gateway`): other suites sharing the
# machine's services are not disturbed.
# A run where every scenario passes writes the figures to docs/report/results/failure.json.
# Bounded: each scenario has its own deadlines; the tests are killed after 9 minutes (a run takes
# ~3.5 min on an idle 2-core machine, ~5.5 min on a loaded one).
set -euo pipefail
cd "$(dirname "$0")/../.."
export IMGR_TEST_OUT=${IMGR_TEST_OUT:-$PWD/test-results}
mkdir -p "$IMGR_TEST_OUT"

scripts/services/rabbitmq.sh up   # installs rabbitmq-server; the suite runs a node of its own
scripts/services/ceph-s3.sh up    # the Ceph cluster; the suite adds a gateway of its own
source scripts/lib/apt.sh
need_apt haproxy haproxy
node tests/fixtures/make-fixtures.mjs
npx tsc -b   # the processes run cli/dist: make sure it is current (a no-op after 10-lint-build)

# Free ports and a folder of this run's own: a second run on the same machine gets its own broker.
read -r IMGR_FAILURE_RABBIT_PORT IMGR_FAILURE_RABBIT_DIST_PORT IMGR_FAILURE_RGW_PORT < <(node tests/support/ports.mjs 3)
IMGR_FAILURE_DIR=$(mktemp -d /tmp/imgr-failure.XXXXXX)
export IMGR_FAILURE_RABBIT_PORT IMGR_FAILURE_RABBIT_DIST_PORT IMGR_FAILURE_RGW_PORT IMGR_FAILURE_DIR
rabbit_node() { RABBITMQ_DIST_PORT=$IMGR_FAILURE_RABBIT_DIST_PORT scripts/services/rabbitmq.sh node "$1" "$IMGR_FAILURE_RABBIT_PORT" "$IMGR_FAILURE_DIR/rabbit"; }
gateway() { scripts/services/ceph-s3.sh gateway "$1" "failure$IMGR_FAILURE_RGW_PORT" "$IMGR_FAILURE_RGW_PORT" "$IMGR_FAILURE_DIR/rgw"; }
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  rabbit_node down
  gateway down
  # Logs of the broker and the gateway stay for a look when the suite failed.
  [ "${status:-1}" -ne 0 ] || rm -rf "$IMGR_FAILURE_DIR"
}
trap cleanup EXIT
rabbit_node up
gateway up

export IMGR_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:$IMGR_FAILURE_RABBIT_PORT/%2F
export IMGR_TEST_S3_ENDPOINT=http://127.0.0.1:$IMGR_FAILURE_RGW_PORT IMGR_TEST_S3_ACCESS_KEY=test IMGR_TEST_S3_SECRET_KEY=testsecret
touch "$IMGR_TEST_OUT/failure-suite.jsonl"
lines_before=$(wc -l <"$IMGR_TEST_OUT/failure-suite.jsonl")
status=0
timeout --kill-after=10 540 npx vitest run --config tests/failure/vitest.config.ts ${IMGR_FAILURE_ONLY:-} || status=$?

echo "failure suite figures (also in $IMGR_TEST_OUT/failure-suite.jsonl):"
tail -n +"$((lines_before + 1))" "$IMGR_TEST_OUT/failure-suite.jsonl"
# The report's figures (tests/support/results.mjs), from a run where every scenario passed.
[ "$status" -ne 0 ] || tail -n +"$((lines_before + 1))" "$IMGR_TEST_OUT/failure-suite.jsonl" | node tests/support/results.mjs failure
[ "$status" -eq 0 ] || echo "failure suite: FAILED (exit $status); broker and gateway logs in $IMGR_FAILURE_DIR" >&2
exit "$status"
