#!/usr/bin/env bash
# The whole test suite, as a newcomer or CI runs it: `npm test`.
# Each step is a script in scripts/test.d/, run in name order; the first failure stops the run.
# Steps that need RabbitMQ, S3, Chromium or Docker start them through scripts/services/*.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export IMGR_TEST_OUT=${IMGR_TEST_OUT:-$PWD/test-results}
mkdir -p "$IMGR_TEST_OUT"
only=${1:-}
for step in scripts/test.d/*.sh; do
  name=$(basename "$step" .sh)
  if [ -n "$only" ] && [[ "$name" != *"$only"* ]]; then continue; fi
  echo "::: $name"
  start=$(date +%s)
  bash "$step"
  echo "::: $name passed in $(( $(date +%s) - start )) s"
done
