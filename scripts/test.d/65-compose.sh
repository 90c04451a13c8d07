#!/usr/bin/env bash
# compose.yaml (the one-machine production stack) is valid and keeps its promises, without pulling the
# third-party images (no registry is reachable from CI):
#   - `docker compose config` resolves it with .env.example (schema, interpolation, anchors);
#   - tests/docker/compose-check.mjs asserts topology, health checks, restart policies, read-only roots;
#   - the ingress config the stack renders at start from the Nomad template is accepted by haproxy;
#   - the stack's S3 (the seaweedfs service's very command and keys, on a `weed` of the image's release)
#     passes imgr's storage contract, and the sweep service's loop runs `imgr sweep` against it
#     (tests/docker/compose-seaweedfs.mjs).
set -euo pipefail
cd "$(dirname "$0")/../.."

compose=$(scripts/docker/install-compose.sh)
echo "using: $compose ($($compose version --short 2>/dev/null || $compose version))"
$compose --project-directory . -f compose.yaml --env-file .env.example config -q
# Every profile (monitoring, backup) included: the checks cover the backup's source and the sweep too.
$compose --profile '*' --project-directory . -f compose.yaml --env-file .env.example config --format json | node tests/docker/compose-check.mjs

# Without its .env the stack must refuse to start rather than run with empty passwords.
if $compose --project-directory . -f compose.yaml --env-file /dev/null config -q 2>/dev/null; then
  echo "compose.yaml resolves without credentials; required variables must use \${VAR:?...}" >&2
  exit 1
fi

# The ingress config the stack renders at start (service ingress-config): run its very command with the
# host's node, /deploy and /config mapped to this checkout and a temporary directory, and let haproxy check
# the result. (70-docker.sh runs the same command inside the built image.)
source scripts/lib/apt.sh
need_apt haproxy haproxy
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
$compose --project-directory . -f compose.yaml --env-file .env.example config --format json > "$out/model.json"
script=$(node -e 'const e = JSON.parse(require("fs").readFileSync(process.argv[1])).services["ingress-config"].entrypoint;
  if (e[0] !== "/usr/local/bin/node" || e[1] !== "-e") process.exit(1); console.log(e[2])' "$out/model.json")
script=${script//\/deploy\//$PWD/deploy/}
node -e "${script//\/config\//$out/}"
haproxy -c -q -f "$out/haproxy.cfg"
for addr in 172.30.99.11:8080 172.30.99.12:8080 172.30.99.20:8080; do
  grep -q "server .* $addr" "$out/haproxy.cfg" || { echo "rendered ingress config lacks server $addr" >&2; exit 1; }
done
echo "compose: config valid; the ingress config it renders at start is accepted by haproxy"

# The stack's S3 and sweep, for real. The `weed` of scripts/services/seaweedfs.sh (built once, cached;
# step 30 builds it first) must be the image's release: compose-seaweedfs.mjs compares the versions.
scripts/services/seaweedfs.sh install
scripts/services/rabbitmq.sh up
need_apt rclone rclone
[ -f cli/dist/main.js ] || npm run build
$compose --profile '*' --project-directory . -f compose.yaml --env-file .env.example config --format json > "$out/full.json"
nice node tests/docker/compose-seaweedfs.mjs "$out/full.json" "$(scripts/services/seaweedfs.sh bin)"
