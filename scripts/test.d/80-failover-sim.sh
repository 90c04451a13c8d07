#!/usr/bin/env bash
# Two-node failover simulation of the cluster deployment (tests/deploy/failover-sim.sh): keepalived,
# the HAProxy ingress and imgr api/worker on two network-namespace "VMs", the real RabbitMQ and Ceph
# S3 on the host; kills the floating IP holder's ingress, stops its keepalived, then crashes a whole
# VM under upload/fetch load. Prints one JSON line per scenario (also in test-results/failover.jsonl);
# fails if the VM crash failover exceeds 2 s or an accepted upload loses a variant.
# A passing run writes the figures to docs/report/results/failover.json (docs/report/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${IMGR_TEST_OUT:-$PWD/test-results}
mkdir -p "$OUT"

source scripts/lib/apt.sh
need_apt haproxy haproxy
need_apt keepalived keepalived
need_apt ansible-playbook ansible
need_apt curl curl
[ -f cli/dist/main.js ] || npm run build

timeout 600 bash tests/deploy/failover-sim.sh | tee "$OUT/failover.jsonl"
[ "${PIPESTATUS[0]}" = 0 ]
# The report's figures (tests/support/results.mjs), from a run that passed.
node tests/support/results.mjs failover <"$OUT/failover.jsonl"
