#!/usr/bin/env bash
# Smoke test of a running imgr behind its ingress (or of any base URL that routes like it).
#   scripts/smoke.sh <base-url>        e.g. scripts/smoke.sh https://team.example.org
# Checks, in order: /health; the web page (GET / as a browser) and /config.json; an upload of a generated
# 1600x1200 PNG (201); the four variants become ready (/image/<id>/status) within SMOKE_TIMEOUT seconds;
# each variant is a PNG of the expected size and the original comes back byte for byte; then the test image is
# deleted with its delete token (204) and is gone (404), so production keeps no trace of smoke runs.
# Prints one JSON line of timings on success; exits 1 with the reason on the first failure.
# env: SMOKE_TIMEOUT (seconds to wait for the variants, default 90), SMOKE_KEEP=1 (do not delete the image),
#      SMOKE_SKIP_WEB=1 (API only, when the base URL is an API and not the ingress)
# needs: bash, curl, python3 (present on GitHub/GitLab runners and Debian)
set -euo pipefail

base=${1:?usage: smoke.sh <base-url>}
base=${base%/}
timeout=${SMOKE_TIMEOUT:-90}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
json() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); [v:=v[k] for k in sys.argv[2:]]; print(v)' "$@"; }
# request <method> <path> <out-file> [curl args...] -> prints the HTTP status
request() {
  local method=$1 path=$2 out=$3; shift 3
  curl -sS -X "$method" -o "$out" -w '%{http_code}' --max-time 30 "$@" "$base$path" || echo 000
}

# A 1600x1200 RGB gradient PNG: big enough that every size (1024/512/256/128) really resizes it.
python3 - "$tmp/in.png" <<'PY'
import struct, sys, zlib
w, h = 1600, 1200
rows = bytearray()
for y in range(h):
    rows.append(0)
    g = (y * 255) // (h - 1)
    rows += bytes(v for x in range(w) for v in ((x * 255) // (w - 1), g, 128))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY

png_size() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); assert d[:8]==b"\x89PNG\r\n\x1a\n", "not a PNG"; print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"; }

code=$(request GET /health "$tmp/health")
[ "$code" = 200 ] || fail "GET /health -> $code"

if [ "${SMOKE_SKIP_WEB:-0}" != 1 ]; then
  code=$(request GET / "$tmp/page" -H 'Accept: text/html,application/xhtml+xml')
  [ "$code" = 200 ] || fail "GET / as a browser -> $code"
  grep -qi '<html' "$tmp/page" || fail "GET / as a browser did not return the web page"
  code=$(request GET /config.json "$tmp/config")
  [ "$code" = 200 ] || fail "GET /config.json -> $code"
  json "$tmp/config" endpoint >/dev/null || fail "/config.json has no endpoint"
fi

t0=$(now_ms)
code=$(request POST /image "$tmp/upload" -F "file=@$tmp/in.png;type=image/png")
t1=$(now_ms)
[ "$code" = 201 ] || fail "POST /image -> $code: $(head -c 300 "$tmp/upload")"
id=$(json "$tmp/upload" id)
token=$(json "$tmp/upload" delete_token)
[[ "$id" =~ ^[a-zA-Z0-9]{8}$ ]] || fail "bad id '$id'"

# Wait until the worker has written every size.
deadline=$(( $(date +%s) + timeout ))
while :; do
  code=$(request GET "/image/$id/status" "$tmp/status")
  if [ "$code" = 200 ]; then
    states=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["sizes"]; print(" ".join(k+"="+s[k]["state"] for k in ("big","medium","small","tiny")))' "$tmp/status")
    case "$states" in *failed*) fail "a variant failed: $(cat "$tmp/status")" ;; esac
    [[ "$states" == *pending* ]] || break
  fi
  [ "$(date +%s)" -lt "$deadline" ] || fail "variants not ready after ${timeout}s (last: HTTP $code ${states:-})"
  sleep 0.25
done
t2=$(now_ms)

declare -A want=([big]=1024x768 [medium]=512x384 [small]=256x192 [tiny]=128x96)
for size in big medium small tiny; do
  code=$(request GET "/image/$id/$size" "$tmp/$size" -D "$tmp/$size.h")
  [ "$code" = 200 ] || fail "GET /image/$id/$size -> $code"
  grep -qi '^content-type: image/png' "$tmp/$size.h" || fail "$size: $(grep -i '^content-type' "$tmp/$size.h")"
  got=$(png_size "$tmp/$size")
  [ "$got" = "${want[$size]}" ] || fail "$size is $got, expected ${want[$size]}"
done
code=$(request GET "/image/$id" "$tmp/original")
[ "$code" = 200 ] || fail "GET /image/$id -> $code"
cmp -s "$tmp/in.png" "$tmp/original" || fail "the original came back different"
t3=$(now_ms)

deleted=false
if [ "${SMOKE_KEEP:-0}" != 1 ]; then
  code=$(request DELETE "/image/$id" "$tmp/delete" -H "X-Delete-Token: $token")
  [ "$code" = 204 ] || fail "DELETE /image/$id -> $code"
  code=$(request GET "/image/$id" "$tmp/gone")
  [ "$code" = 404 ] || fail "GET /image/$id after delete -> $code"
  deleted=true
fi

printf '{"base":"%s","id":"%s","upload_ms":%d,"variants_ready_ms":%d,"fetch_ms":%d,"deleted":%s}\n' \
  "$base" "$id" $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) "$deleted"
