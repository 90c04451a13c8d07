#!/usr/bin/env bash
# deploy/scripts/check-public-image.sh, the "packages must be public" step of the CI/CD deploy, against a
# stand-in registry speaking the token protocol (tests/pipelines/fake-registry.mjs): a public image passes,
# a private one, an unknown tag and an unreachable registry fail with the reason.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp)
node tests/pipelines/fake-registry.mjs > "$out" &
registry_pid=$!
trap 'kill "$registry_pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
port=$(cat "$out")
fail() { echo "registry-access: FAIL: $*" >&2; exit 1; }
export IMGR_REGISTRY_SCHEME=http
check() { bash deploy/scripts/check-public-image.sh "$1" 2>&1; }

check "127.0.0.1:$port/team/public:abc123" >/dev/null || fail "a public image was refused"
msg=$(check "127.0.0.1:$port/team/private:abc123") && fail "a private image passed"
grep -q 'make the package public' <<<"$msg" || fail "no reason given: $msg"
check "127.0.0.1:$port/team/public:fff999" >/dev/null && fail "a missing tag passed"
check "127.0.0.1:1/team/public:abc123" >/dev/null && fail "an unreachable registry passed"
echo "registry-access: public image accepted; private image, missing tag, unreachable registry refused"
