#!/usr/bin/env bash
# compose.yaml's ingress-config one-shot, run by Compose itself with the image built by build-images.sh:
# it must render the cluster's ingress template into the shared volume with a read-only root, no
# capabilities and no network, and the result must be a config HAProxy accepts with the stack's addresses.
# (The third-party images of the stack cannot be pulled here, so this is the part of compose.yaml that runs.)
# env: IMGR_IMAGE (imgr:test)
set -euo pipefail
cd "$(dirname "$0")/../.."

IMGR_IMAGE=${IMGR_IMAGE:-imgr:test}
project=imgr-t70-$$
compose=$(scripts/docker/install-compose.sh)
export IMGR_REGISTRY=imgr-t70 IMGR_TAG=$$
docker tag "$IMGR_IMAGE" "$IMGR_REGISTRY/imgr:$IMGR_TAG"
out=$(mktemp -d)
cleanup() {
  $compose -p "$project" --project-directory . -f compose.yaml --env-file .env.example down -v >/dev/null 2>&1 || true
  docker image rm "$IMGR_REGISTRY/imgr:$IMGR_TAG" >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT

$compose -p "$project" --project-directory . -f compose.yaml --env-file .env.example \
  run --rm --no-deps ingress-config
docker run --rm --network none -v "${project}_ingress-config:/config:ro" --entrypoint /usr/local/bin/node \
  "$IMGR_IMAGE" -p 'require("fs").readFileSync("/config/haproxy.cfg", "utf8")' > "$out/haproxy.cfg"
source scripts/lib/apt.sh
need_apt haproxy haproxy
haproxy -c -q -f "$out/haproxy.cfg"
for addr in 172.30.99.11:8080 172.30.99.12:8080 172.30.99.20:8080; do
  grep -q "server .* $addr" "$out/haproxy.cfg" || { echo "compose-ingress: no server $addr" >&2; exit 1; }
done
echo "compose-ingress: ingress-config rendered $(wc -l < "$out/haproxy.cfg") lines in the image; haproxy accepts them"
