#!/usr/bin/env bash
# Restore drill on a real S3 server (Ceph RGW, two buckets standing for the live store and the backup
# target): imgr stores and resizes images; deploy/backup/imgr-backup.sh backup mirrors the bucket; every
# object of the live bucket is deleted (every image now 404); imgr-backup.sh restore brings them back;
# every original and size is served again, byte for byte, with its Content-Type. Prints the backup and
# restore durations the RPO/RTO of docs/operations.md are stated from.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${IMGR_TEST_OUT:-$PWD/test-results}
mkdir -p "$OUT"
source scripts/lib/apt.sh
need_apt rclone rclone
scripts/services/ceph-s3.sh up >/dev/null
IMAGES=${IMGR_DRILL_IMAGES:-30}

work=$(mktemp -d)
run=drill$$-$RANDOM
live_bucket=imgr-$run-live
backup_bucket=imgr-$run-backup
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rclone purge "live:$live_bucket" >/dev/null 2>&1 || true
  rclone purge "backup:$backup_bucket" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Both remotes on the test Ceph (scripts/services/ceph-s3.sh); in production they are two providers.
for remote in LIVE BACKUP; do
  export "RCLONE_CONFIG_${remote}_TYPE=s3" "RCLONE_CONFIG_${remote}_PROVIDER=Ceph" \
    "RCLONE_CONFIG_${remote}_ENDPOINT=http://127.0.0.1:7480" "RCLONE_CONFIG_${remote}_ACCESS_KEY_ID=test" \
    "RCLONE_CONFIG_${remote}_SECRET_ACCESS_KEY=testsecret"
done
# rclone's S3 client refuses a custom CA bundle with its own HTTP transport; the test S3 is plain HTTP.
unset AWS_CA_BUNDLE
export IMGR_BACKUP_SOURCE_BUCKET=$live_bucket IMGR_BACKUP_TARGET_BUCKET=$backup_bucket

port=$(node tests/support/ports.mjs)
[ -f cli/dist/main.js ] || npx tsc -b
PORT=$port HOST=127.0.0.1 IMGR_STORAGE=s3 S3_ENDPOINT_URL=http://127.0.0.1:7480 AWS_ACCESS_KEY_ID=test \
  AWS_SECRET_ACCESS_KEY=testsecret S3_BUCKET_NAME=$live_bucket CELERY_BROKER_URL=memory:// \
  node cli/dist/main.js all > "$OUT/backup-imgr.log" 2>&1 &
pid=$!
api=http://127.0.0.1:$port
for _ in $(seq 1 120); do curl -fs "$api/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "$api/health/ready" >/dev/null

# Distinct small images (colour from the index), uploaded; then every size must exist.
node --input-type=module -e '
  import sharp from "sharp";
  const [dir, count] = process.argv.slice(1);
  for (let i = 0; i < Number(count); i++) {
    const image = sharp({ create: { width: 300 + i, height: 200, channels: 3, background: { r: i * 8 % 256, g: 90, b: 200 } } });
    await (i % 2 ? image.jpeg() : image.png()).toFile(`${dir}/image-${i}.${i % 2 ? "jpg" : "png"}`);
  }' "$work" "$IMAGES"
: > "$work/ids"
for file in "$work"/image-*; do
  curl -fsS -F "file=@$file" "$api/image" | node -e 'process.stdout.write(JSON.parse(require("node:fs").readFileSync(0, "utf8")).id + "\n")' >> "$work/ids"
done
urls() { while read -r id; do for size in "" /big /medium /small /tiny; do echo "$api/image/$id$size"; done; done < "$work/ids"; }
# One line per URL: status, Content-Type, sha256 of the body.
snapshot() {
  urls | while read -r url; do
    status=$(curl -s -o "$work/body" -w '%{http_code} %{content_type}' "$url")
    echo "$url $status $(sha256sum < "$work/body" | cut -c1-16)"
  done
}
for _ in $(seq 1 120); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/image/$(tail -1 "$work/ids")/tiny")" = 200 ] && ! snapshot | grep -qv ' 200 ' && break
  sleep 1
done
snapshot > "$work/before"
objects=$(wc -l < "$work/before")
! grep -v ' 200 ' "$work/before" || { echo "not every size was made" >&2; exit 1; }
echo "$(wc -l < "$work/ids") images, $objects objects served"

# Content-Type and user metadata of every object (imgr's x-amz-meta-*), to compare after the restore.
metadata() {
  rclone lsjson -R -M --files-only "live:$live_bucket" | node -e '
    const objects = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
    for (const { Path, MimeType, Metadata = {} } of objects.sort((a, b) => a.Path.localeCompare(b.Path))) {
      const user = Object.entries(Metadata).filter(([key]) => !["mtime", "btime", "atime"].includes(key)).sort();
      console.log(Path, MimeType, JSON.stringify(user));
    }'
}
metadata > "$work/metadata-before"
# The originals carry the delete token's hash: the comparison below covers user metadata.
[ "$(grep -c 'delete-token-sha256' "$work/metadata-before")" = "$IMAGES" ]

start=$(date +%s.%N)
deploy/backup/imgr-backup.sh backup > "$OUT/backup-run.log" 2>&1 || { cat "$OUT/backup-run.log"; exit 1; }
backup_s=$(echo "$(date +%s.%N) - $start" | bc)

# The disaster: every object of the live bucket gone.
rclone delete "live:$live_bucket"
[ "$(rclone lsf -R "live:$live_bucket" | wc -l)" = 0 ]
snapshot | grep -c ' 404 ' | { read -r gone; echo "after the deletion: $gone of $objects URLs answer 404"; [ "$gone" = "$objects" ]; }

start=$(date +%s.%N)
deploy/backup/imgr-backup.sh restore > "$OUT/backup-restore.log" 2>&1 || { cat "$OUT/backup-restore.log"; exit 1; }
restore_s=$(echo "$(date +%s.%N) - $start" | bc)

snapshot > "$work/after"
diff "$work/before" "$work/after" || { echo "restored images differ from the originals" >&2; exit 1; }
metadata > "$work/metadata-after"
diff "$work/metadata-before" "$work/metadata-after" || { echo "restored objects lost metadata" >&2; exit 1; }
bytes=$(rclone size --json "live:$live_bucket" | node -e 'process.stdout.write(String(JSON.parse(require("node:fs").readFileSync(0, "utf8")).bytes))')
printf 'restore drill: %s objects (%s bytes) mirrored in %.1f s, restored in %.1f s; every URL serves the same bytes and Content-Type\n' \
  "$objects" "$bytes" "$backup_s" "$restore_s" | tee "$OUT/backup-drill.txt"
