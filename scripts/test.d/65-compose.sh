#!/usr/bin/env bash
# compose.yaml (the one-machine production stack) is valid and keeps its promises, without pulling the
# third-party images (no registry is reachable from CI):
#   - `docker compose config` resolves it with .env.example (schema, interpolation, anchors);
#   - tests/docker/compose-check.mjs asserts topology, health checks, restart policies, read-only roots;
#   - deploy/compose/haproxy.cfg is the current rendering of the Nomad ingress template, and haproxy accepts it.
set -euo pipefail
cd "$(dirname "$0")/../.."

compose=$(scripts/docker/install-compose.sh)
echo "using: $compose ($($compose version --short 2>/dev/null || $compose version))"
$compose --project-directory . -f compose.yaml --env-file .env.example config -q
$compose --project-directory . -f compose.yaml --env-file .env.example config --format json | node tests/docker/compose-check.mjs

# Without its .env the stack must refuse to start rather than run with empty passwords.
if $compose --project-directory . -f compose.yaml --env-file /dev/null config -q 2>/dev/null; then
  echo "compose.yaml resolves without credentials; required variables must use \${VAR:?...}" >&2
  exit 1
fi

command -v haproxy >/dev/null || flock /tmp/apt.lock sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy'
fresh=$(mktemp)
trap 'rm -f "$fresh"' EXIT
scripts/docker/render-compose-ingress.sh "$fresh"
if ! diff -u deploy/compose/haproxy.cfg "$fresh"; then
  echo "deploy/compose/haproxy.cfg is stale: run scripts/docker/render-compose-ingress.sh" >&2
  exit 1
fi
haproxy -c -q -f deploy/compose/haproxy.cfg
echo "compose: config valid, ingress config current and accepted by haproxy"
