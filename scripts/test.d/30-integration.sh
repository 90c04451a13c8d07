#!/usr/bin/env bash
# Integration tests against a real RabbitMQ and a real S3 server (Ceph RADOS Gateway), then the
# wire-compatibility tests with the Python Celery side.
set -euo pipefail
scripts/services/rabbitmq.sh up
scripts/services/ceph-s3.sh up
# HAProxy runs the production ingress config in front of the API (hostile-clients.test.ts).
source scripts/lib/apt.sh
need_apt haproxy haproxy
# libfaketime runs one process on a clock 20 minutes off (s3-providers.test.ts: skew correction).
need_apt faketime faketime
# MinIO with an STS user: the contract again with temporary credentials (first run builds it, ~6 min).
scripts/services/minio.sh up
export IMGR_TEST_MINIO_ENDPOINT=http://127.0.0.1:${MINIO_PORT:-9300}
# SeaweedFS's S3 gateway: the storage contract on a third server (first run builds it, ~10 min).
scripts/services/seaweedfs.sh up
export IMGR_TEST_SEAWEED_ENDPOINT=http://127.0.0.1:${SEAWEED_PORT:-8333}
node tests/fixtures/make-fixtures.mjs
# exiftool reads what metadata a stored original still carries (Debian package, installed once).
need_apt exiftool libimage-exiftool-perl
# The Python side of the wire-compatibility tests: Celery itself, from PyPI.
python3 -c 'import celery' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check 'celery>=5.3,<6'
# The temporary credentials are minted last, once every build and install above is done: they expire.
eval "$(node scripts/services/minio-sts.mjs "${MINIO_PORT:-9300}")"
export IMGR_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2F
export IMGR_TEST_S3_ENDPOINT=http://127.0.0.1:7480 IMGR_TEST_S3_ACCESS_KEY=test IMGR_TEST_S3_SECRET_KEY=testsecret
npx vitest run --project integration
