#!/usr/bin/env bash
# The web page in a real Chromium (Debian's package, driven by playwright-core) against a real
# `imgr all` (API + worker + web page, local storage, in-process queue) on a free loopback port.
# Screenshots of the main states go to $IMGR_TEST_OUT/screenshots/. Extra arguments go to Vitest
# (e.g. `-t keyboard`).
set -euo pipefail
cd "$(dirname "$0")/../.."
export IMGR_TEST_OUT=${IMGR_TEST_OUT:-$PWD/test-results}
mkdir -p "$IMGR_TEST_OUT"

# A font as well: without recommends Chromium comes with none, and screenshots would show boxes.
source scripts/lib/apt.sh
if [ ! -x /usr/bin/chromium ] || ! compgen -G "/usr/share/fonts/truetype/*/*.ttf" >/dev/null; then
  apt_install chromium fonts-dejavu-core
fi

# IMGR_E2E_SKIP_BUILD=1 reuses the current build (quicker when iterating on the tests).
[ "${IMGR_E2E_SKIP_BUILD:-}" = 1 ] || npm run build
fixtures=$(node tests/fixtures/make-fixtures.mjs | tail -n 1)

data=$(mktemp -d)
log="$IMGR_TEST_OUT/e2e-imgr.log"
port=$(node tests/support/ports.mjs)
HOST=127.0.0.1 PORT=$port IMGR_DATA_DIR="$data" IMGR_WEB_DIR="$PWD/web/dist" \
  node cli/dist/main.js all >"$log" 2>&1 &
server=$!
stop() {
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap stop EXIT

url="http://127.0.0.1:$port/"
healthy() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "${url}health"; }
for _ in $(seq 1 60); do
  healthy && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "imgr all exited early:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.5
done
healthy || { echo "imgr all is not healthy after 30 s:" >&2; cat "$log" >&2; exit 1; }

npx tsc -p tests/e2e/tsconfig.json
status=0
IMGR_E2E_URL=$url IMGR_FIXTURES=$fixtures npx vitest run --config tests/e2e/vitest.config.ts "$@" || status=$?
if ! kill -0 "$server" 2>/dev/null; then
  wait "$server" && code=0 || code=$?
  echo "imgr all stopped during the tests (exit status $code); its log:" >&2
  cat "$log" >&2
  exit 1
fi
echo "screenshots: $IMGR_TEST_OUT/screenshots/"
exit "$status"
