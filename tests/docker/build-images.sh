#!/usr/bin/env bash
# Builds every image of deploy/docker unchanged with the engine's default builder (the classic one on the
# build machines) and once more with BuildKit, prints the sizes and checks what the images promise without
# running the stack:
#   - size targets: imgr <= 200 MB, imgr-web <= 130 MB (MB = 10^6 bytes, as `docker image ls` counts; the web
#     image is node (~100 MB stripped) + glibc + sirv + the page);
#   - a non-root USER, a HEALTHCHECK, an init as entrypoint, OCI labels filled from the build args;
#   - no shell in either image; no credentials in any image's environment or history;
#   - the `npm ci` layers stay cached when only source code changes (rebuild of a context with one edit).
# env: IMGR_IMAGE (imgr:test), IMGR_WEB_IMAGE (imgr-web:test), SKIP_CACHE_CHECK=1, SKIP_BUILDKIT=1, IMGR_TEST_OUT
set -euo pipefail
cd "$(dirname "$0")/../.."

IMGR_IMAGE=${IMGR_IMAGE:-imgr:test}
IMGR_WEB_IMAGE=${IMGR_WEB_IMAGE:-imgr-web:test}
OUT=${IMGR_TEST_OUT:-$PWD/test-results}
mkdir -p "$OUT"
VERSION=$(node -p 'require("./package.json").version')
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)

fail() { echo "build-images: FAIL: $*" >&2; exit 1; }

build() {   # build <dockerfile> <tag> <context> <log>
  local t0=$SECONDS
  if ! docker build --force-rm -f "$3/$1" -t "$2" \
      --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" \
      --build-arg SOURCE=https://github.com/imgr/imgr "$3" >"$4" 2>&1; then
    tail -40 "$4" >&2
    fail "docker build -f $1 (log: $4)"
  fi
  echo "build-images: built $2 in $((SECONDS - t0)) s" >&2
}

# Build from a snapshot of the work tree (tracked and new files, as git sees them): the cache probe below
# rebuilds the same snapshot with one edit, so nothing else may change in between.
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - 2>/dev/null | tar -C "$ctx" -xf -

build deploy/docker/imgr.Dockerfile "$IMGR_IMAGE" "$ctx" "$OUT/docker-build-imgr.log"
build deploy/docker/web.Dockerfile "$IMGR_WEB_IMAGE" "$ctx" "$OUT/docker-build-web.log"

size_of() { docker image inspect -f '{{.Size}}' "$1"; }
imgr_size=$(size_of "$IMGR_IMAGE")
web_size=$(size_of "$IMGR_WEB_IMAGE")
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
echo "image sizes: $IMGR_IMAGE $(mb "$imgr_size") MB (target <= 200 MB), $IMGR_WEB_IMAGE $(mb "$web_size") MB (target <= 130 MB)"
docker image ls --format 'table {{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E "^(REPOSITORY|${IMGR_IMAGE%%:*}|${IMGR_WEB_IMAGE%%:*}|node|busybox)" || true
printf '{"imgr_bytes":%d,"web_bytes":%d}\n' "$imgr_size" "$web_size" > "$OUT/docker-image-sizes.json"
[ "$imgr_size" -le 200000000 ] || fail "$IMGR_IMAGE is $imgr_size bytes, over 200 MB"
[ "$web_size" -le 130000000 ] || fail "$IMGR_WEB_IMAGE is $web_size bytes, over 130 MB"

for image in "$IMGR_IMAGE" "$IMGR_WEB_IMAGE"; do
  user=$(docker image inspect -f '{{.Config.User}}' "$image")
  case "${user%%:*}" in ''|0|root) fail "$image runs as root (USER '$user')" ;; esac
  [ -n "$(docker image inspect -f '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Test}}{{end}}' "$image")" ] \
    || fail "$image has no HEALTHCHECK"
  docker image inspect -f '{{json .Config.Entrypoint}}' "$image" | grep -q tini || fail "$image: no init as PID 1"
  for label in source version revision; do
    value=$(docker image inspect -f "{{index .Config.Labels \"org.opencontainers.image.$label\"}}" "$image")
    if [ -z "$value" ] || [ "$value" = "<no value>" ]; then fail "$image: label org.opencontainers.image.$label missing"; fi
  done
  [ "$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.revision"}}' "$image")" = "$REVISION" ] \
    || fail "$image: revision label is not $REVISION"
  # Credentials must never be baked in: neither in ENV nor in any build step.
  if docker image inspect -f '{{join .Config.Env "\n"}}' "$image" | grep -iE '(SECRET|PASSWORD|TOKEN|ACCESS_KEY)'; then
    fail "$image carries a credential-looking variable"
  fi
  if docker history --no-trunc --format '{{.CreatedBy}}' "$image" | grep -iE '(AWS_SECRET|PASSWORD=|TOKEN=|BEGIN [A-Z ]*PRIVATE KEY)'; then
    fail "$image: a build step mentions a credential"
  fi
done
echo "build-images: both images non-root, health-checked, init as PID 1, labelled (revision $REVISION), no credentials" >&2

# No shell at run time in either image (node is the only program; tini starts it).
for image in "$IMGR_IMAGE" "$IMGR_WEB_IMAGE"; do
  if docker run --rm --entrypoint /bin/sh "$image" -c true >/dev/null 2>&1; then
    fail "$image contains a usable /bin/sh"
  fi
done
# The entrypoint works and the node binary is the pinned release.
node_version=$(docker run --rm --read-only --entrypoint /usr/local/bin/node "$IMGR_IMAGE" -p process.version)
want_node=v$(grep -oE '^FROM node:[0-9.]+' deploy/docker/imgr.Dockerfile | head -1 | grep -oE '[0-9.]+$')
[ "$node_version" = "$want_node" ] || fail "node in $IMGR_IMAGE is $node_version, the Dockerfile pins $want_node"
# sharp's native module and its libvips load in the distroless-like root.
docker run --rm --read-only --entrypoint /usr/local/bin/node -w /app/core "$IMGR_IMAGE" \
  --input-type=module -e 'import sharp from "sharp"; const b = await sharp({create:{width:8,height:8,channels:3,background:"#000"}}).png().toBuffer(); if (b.length < 8) process.exit(1)' \
  || fail "sharp does not load in $IMGR_IMAGE"
echo "build-images: no shell in $IMGR_IMAGE or $IMGR_WEB_IMAGE, node $node_version, sharp loads" >&2
# What a vulnerability scanner needs to see the Debian libraries of the hand-assembled root.
bash tests/docker/scanner-metadata.sh "$IMGR_IMAGE"

# The same Dockerfiles with BuildKit (the issue: both builders must work). Docker 20.10's own client drives
# the daemon's built-in BuildKit without buildx; newer clients need the buildx plugin.
buildkit_build() {
  if docker buildx version >/dev/null 2>&1; then
    docker buildx build --load "$@"
  elif /usr/bin/docker version --format '{{.Client.Version}}' 2>/dev/null | grep -q '^20\.'; then
    DOCKER_BUILDKIT=1 /usr/bin/docker build "$@"
  else
    fail "no BuildKit client (buildx plugin or docker 20.10 client) to check the BuildKit build"
  fi
}
if [ "${SKIP_BUILDKIT:-0}" != 1 ]; then
  for spec in imgr:imgr.Dockerfile imgr-web:web.Dockerfile; do
    name=${spec%%:*} file=${spec#*:}
    buildkit_build --progress=plain -f "$ctx/deploy/docker/$file" -t "$name:buildkit-check" \
      --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" "$ctx" > "$OUT/docker-buildkit-$name.log" 2>&1 \
      || { tail -30 "$OUT/docker-buildkit-$name.log" >&2; fail "BuildKit build of $file"; }
  done
  docker run --rm --read-only --entrypoint /usr/local/bin/node -w /app/core imgr:buildkit-check --input-type=module \
    -e 'import sharp from "sharp"; await sharp({create:{width:8,height:8,channels:3,background:"#000"}}).png().toBuffer()' \
    || fail "the BuildKit-built imgr image does not run"
  echo "build-images: BuildKit builds both Dockerfiles too ($(mb "$(size_of imgr:buildkit-check)") MB, $(mb "$(size_of imgr-web:buildkit-check)") MB)" >&2
  docker image rm imgr:buildkit-check imgr-web:buildkit-check >/dev/null
fi

# Layer order: a source-only change must reuse the cached `npm ci` layers.
if [ "${SKIP_CACHE_CHECK:-0}" != 1 ]; then
  echo "// cache probe $(date +%s%N)" >> "$ctx/cli/src/main.ts"
  docker build --force-rm -f "$ctx/deploy/docker/imgr.Dockerfile" -t imgr:cache-probe \
    --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" "$ctx" > "$OUT/docker-build-cache-probe.log" 2>&1 \
    || { tail -30 "$OUT/docker-build-cache-probe.log" >&2; fail "rebuild after a source edit"; }
  # The step right after each `RUN npm ci` line must be a cache hit.
  misses=$(awk '/^Step [0-9]+\/[0-9]+ : RUN npm ci/{s=1; next} s && /Using cache/{hits++; s=0} s && /Running in/{miss++; s=0} END{print miss+0 " " hits+0}' \
    "$OUT/docker-build-cache-probe.log")
  if [ "${misses%% *}" != 0 ] || [ "${misses##* }" -lt 2 ]; then
    fail "npm ci ran again after a source-only change (misses/hits: $misses; log $OUT/docker-build-cache-probe.log)"
  fi
  grep -q 'Running in' "$OUT/docker-build-cache-probe.log" || fail "the cache probe rebuilt nothing: the edit was not seen"
  docker image rm imgr:cache-probe >/dev/null
  echo "build-images: after a source edit both npm ci layers came from the cache" >&2
fi
