#!/bin/sh
# Mirror of the image bucket on a second S3 target, and its restore. POSIX sh: runs in the rclone
# image (Nomad job deploy/nomad/backup.nomad.hcl, compose service `backup`) and on any machine with rclone.
#
#   imgr-backup.sh backup    live bucket -> <target bucket>/current; objects deleted or replaced since the
#                            last run are moved to <target bucket>/deleted/<UTC time> instead of lost
#   imgr-backup.sh restore   <target bucket>/current -> live bucket; copies what is missing or different,
#                            never deletes (uploads made since the disaster stay)
#
# The two S3 endpoints are rclone remotes named `live` and `backup`, configured by environment only
# (no config file, nothing secret on disk), e.g.:
#   RCLONE_CONFIG_LIVE_TYPE=s3 RCLONE_CONFIG_LIVE_PROVIDER=Other RCLONE_CONFIG_LIVE_ENDPOINT=https://s3.example
#   RCLONE_CONFIG_LIVE_ACCESS_KEY_ID=... RCLONE_CONFIG_LIVE_SECRET_ACCESS_KEY=...   (same with BACKUP)
# and the buckets in IMGR_BACKUP_SOURCE_BUCKET (the live one, S3_BUCKET_NAME of imgr) and
# IMGR_BACKUP_TARGET_BUCKET. With IMGR_PUSHGATEWAY_URL, a successful backup reports its time there
# (imgr_backup_last_success_timestamp_seconds, watched by the ImgrBackupStale alert).
set -eu
: "${IMGR_BACKUP_SOURCE_BUCKET:?the live bucket (imgr S3_BUCKET_NAME)}"
: "${IMGR_BACKUP_TARGET_BUCKET:?the bucket of the backup target}"

live="live:$IMGR_BACKUP_SOURCE_BUCKET"
mirror="backup:$IMGR_BACKUP_TARGET_BUCKET/current"
# --metadata: Content-Type and imgr's x-amz-meta-* (the delete token's hash) travel with each object.
# --fast-list: one listing request per 1000 keys instead of one per "folder".
# (Keys that may not create buckets: add RCLONE_CONFIG_<REMOTE>_NO_CHECK_BUCKET=true for that remote.)
common="--metadata --fast-list --transfers 8 --checkers 16 --stats-one-line --stats 30s -v"

case "${1:-}" in
  backup)
    # shellcheck disable=SC2086 # $common is a list of flags
    rclone sync "$live" "$mirror" $common \
      --backup-dir "backup:$IMGR_BACKUP_TARGET_BUCKET/deleted/$(date -u +%Y%m%dT%H%M%SZ)"
    if [ -n "${IMGR_PUSHGATEWAY_URL:-}" ]; then
      # busybox wget in the rclone image; a failed report must not turn a good backup into a failed one.
      printf '# TYPE imgr_backup_last_success_timestamp_seconds gauge\nimgr_backup_last_success_timestamp_seconds %s\n' "$(date +%s)" |
        wget -q -O /dev/null --post-file=/dev/stdin "$IMGR_PUSHGATEWAY_URL/metrics/job/imgr-backup" ||
        echo "imgr-backup: could not report to $IMGR_PUSHGATEWAY_URL" >&2
    fi
    ;;
  restore)
    # shellcheck disable=SC2086
    rclone copy "$mirror" "$live" $common
    ;;
  *)
    echo "usage: imgr-backup.sh backup|restore" >&2
    exit 2
    ;;
esac
