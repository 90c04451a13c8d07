#!/usr/bin/env bash
# The imgr-web image alone, as built by build-images.sh: run read-only and non-root, then check the response
# headers the page needs (the ones the API sends when it serves the page itself, api/src/page-headers.ts):
#   /             CSP (frame-ancestors 'none'...), Referrer-Policy, nosniff, Cache-Control no-cache, Vary: Accept
#   /assets/*.js  Cache-Control public, max-age=31536000, immutable; the .br copy for a client that takes br
#   /config.json  Cache-Control no-cache, application/json, {"endpoint": "/"}
#   304 answers keep Cache-Control and Vary; an unknown path (also under /assets/) is the page with 404, never
#   cached as immutable; POST gets a 405 JSON error; a config.json naming another API origin puts it in the
#   CSP's connect-src and img-src; a config.json without an endpoint stops the server at start; docker stop
#   exits 0. Prints the server's memory use.
# env: IMGR_WEB_IMAGE (imgr-web:test), IMGR_TEST_OUT
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE=${IMGR_WEB_IMAGE:-imgr-web:test}
work=$(mktemp -d)
run_id=imgr-web-headers-$$
# By name: start() runs in a $(...) subshell, so it cannot record what it started in a variable here.
cleanup() {
  for suffix in same-origin other-origin bad; do docker rm -f "$run_id-$suffix" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

log() { echo "web-headers: $*" >&2; }
fail() { echo "web-headers: FAIL: $*" >&2; exit 1; }

start() {   # start <name> [docker run options...]: runs the image, prints its published port
  local name=$1 cid port
  shift
  cid=$(docker run -d --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges "$@" \
    -p 127.0.0.1::8080 --name "$name" "$IMAGE")
  port=$(docker port "$cid" 8080/tcp | head -1 | sed 's/.*://')
  for _ in $(seq 1 50); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/config.json" 2>/dev/null && { echo "$port"; return 0; }
    sleep 0.2
  done
  docker logs "$cid" >&2 || true
  fail "$name does not answer on port $port"
}

# header <file> <name>: the value of one response header (case-insensitive name, CR stripped)
header() {
  awk -v n="$(echo "$2" | tr '[:upper:]' '[:lower:]')" \
    '{ sub(/\r$/, "") } (i = index($0, ":")) && tolower(substr($0, 1, i - 1)) == n { print substr($0, i + 2) }' "$1"
}
expect() {   # expect <file> <name> <value> <what>
  local got
  got=$(header "$1" "$2")
  [ "$got" = "$3" ] || fail "$4: $2 is '$got', want '$3'"
}
expect_status() { head -1 "$1" | grep -q " $2 " || fail "$3: status $(head -1 "$1" | tr -d '\r'), want $2"; }

port=$(start "$run_id-same-origin")
base=http://127.0.0.1:$port

# The page, as a browser asks for it.
curl -fsS -D "$work/page.h" -o "$work/page.html" -H 'Accept: text/html' "$base/"
expect_status "$work/page.h" 200 "/"
grep -qi '<html' "$work/page.html" || fail "/ is not the page"
csp=$(header "$work/page.h" content-security-policy)
for directive in "default-src 'self'" "script-src 'self'" "connect-src 'self'" "img-src 'self' blob: data:" \
  "object-src 'none'" "base-uri 'none'" "frame-ancestors 'none'"; do
  case "; $csp;" in *"; $directive;"*) ;; *) fail "/: CSP '$csp' lacks \"$directive\"" ;; esac
done
expect "$work/page.h" referrer-policy no-referrer "/"
expect "$work/page.h" x-content-type-options nosniff "/"
expect "$work/page.h" x-frame-options DENY "/"
expect "$work/page.h" cache-control no-cache "/"
header "$work/page.h" vary | tr ',' '\n' | sed 's/^ *//' | grep -qx Accept || fail "/: Vary '$(header "$work/page.h" vary)' lacks Accept"
header "$work/page.h" content-type | grep -q '^text/html' || fail "/: not text/html"

# A revalidation of the page: 304, still with its cache rules (a cache stores them from the 304 too).
etag=$(header "$work/page.h" etag)
[ -n "$etag" ] || fail "/: no ETag to revalidate with"
curl -sS -D "$work/page304.h" -o /dev/null -H 'Accept: text/html' -H "If-None-Match: $etag" "$base/"
expect_status "$work/page304.h" 304 "/ revalidated"
expect "$work/page304.h" cache-control no-cache "/ revalidated"
header "$work/page304.h" vary | grep -q Accept || fail "/ revalidated: no Vary: Accept"

# A hashed asset the page loads, plain and as its brotli copy.
asset=$(grep -oE '/assets/[^"]+\.js' "$work/page.html" | head -1)
[ -n "$asset" ] || fail "the page names no /assets/*.js"
curl -fsS -D "$work/asset.h" -o "$work/asset.js" "$base$asset"
expect "$work/asset.h" cache-control 'public, max-age=31536000, immutable' "$asset"
expect "$work/asset.h" x-content-type-options nosniff "$asset"
header "$work/asset.h" content-type | grep -q '^text/javascript' || fail "$asset: not text/javascript (module scripts need it)"
curl -fsS -D "$work/asset-br.h" -o /dev/null -H 'Accept-Encoding: br' "$base$asset"
expect "$work/asset-br.h" content-encoding br "$asset for a client that takes br"
expect "$work/asset-br.h" cache-control 'public, max-age=31536000, immutable' "$asset (br)"

# The runtime config: always revalidated.
curl -fsS -D "$work/config.h" -o "$work/config.json" "$base/config.json"
expect "$work/config.h" cache-control no-cache /config.json
header "$work/config.h" content-type | grep -q '^application/json' || fail "/config.json: not application/json"
[ "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).endpoint' "$work/config.json")" = / ] \
  || fail "/config.json is not {\"endpoint\": \"/\"}"

# Unknown paths: the page with 404, revalidated; an unknown asset name must not be cached for a year.
for path in /no/such/page /assets/index-gone.js; do
  curl -sS -D "$work/missing.h" -o "$work/missing.html" "$base$path"
  expect_status "$work/missing.h" 404 "$path"
  grep -qi '<html' "$work/missing.html" || fail "$path: 404 without the page"
  expect "$work/missing.h" cache-control no-cache "$path"
  header "$work/missing.h" content-security-policy | grep -q "frame-ancestors 'none'" || fail "$path: no CSP"
done

# Not a file request: a clear JSON error.
curl -sS -D "$work/post.h" -o "$work/post.json" -X POST --data x "$base/"
expect_status "$work/post.h" 405 "POST /"
grep -q '"error"' "$work/post.json" || fail "POST /: no JSON error"

mem=$(docker stats --no-stream --format '{{.MemUsage}}' "$run_id-same-origin" | cut -d/ -f1)
log "same origin: /, $asset, /config.json, 304, 404, 405 carry the expected headers; server memory $mem"

# Graceful stop: node closes the server on SIGTERM (forwarded by tini) and exits 0.
docker stop -t 10 "$run_id-same-origin" >/dev/null
[ "$(docker inspect -f '{{.State.ExitCode}}' "$run_id-same-origin")" = 0 ] || fail "docker stop: exit code is not 0"

# config.json pointing at an API on another origin: that origin joins connect-src and img-src.
printf '{"endpoint": "https://api.example.test:8443/v1/"}\n' > "$work/config-other.json"
chmod 644 "$work/config-other.json"
port=$(start "$run_id-other-origin" -v "$work/config-other.json:/srv/www/config.json:ro")
curl -fsS -D "$work/other.h" -o /dev/null -H 'Accept: text/html' "http://127.0.0.1:$port/"
csp=$(header "$work/other.h" content-security-policy)
case "$csp" in *"connect-src 'self' https://api.example.test:8443;"*) ;; *) fail "other origin: connect-src in '$csp'" ;; esac
case "$csp" in *"img-src 'self' https://api.example.test:8443 blob: data:;"*) ;; *) fail "other origin: img-src in '$csp'" ;; esac
log "config.json with another API origin: https://api.example.test:8443 in connect-src and img-src"

# A config.json the page cannot use stops the server at start, with a message naming the file.
printf '{"api": "/"}\n' > "$work/config-bad.json"
chmod 644 "$work/config-bad.json"
bad=$(docker run -d --read-only -v "$work/config-bad.json:/srv/www/config.json:ro" --name "$run_id-bad" "$IMAGE")
[ "$(docker wait "$bad")" != 0 ] || fail "a config.json without endpoint: the server kept running or exited 0"
docker logs "$bad" 2>&1 | grep -q 'config.json: no "endpoint" string' || fail "a config.json without endpoint: no clear message"
log "a config.json without endpoint stops the server at start with a clear message"
