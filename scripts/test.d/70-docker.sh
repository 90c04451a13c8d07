#!/usr/bin/env bash
# Container images, built and run as in production:
#   1. a Docker engine (installed and started when missing);
#   2. the base images the Dockerfiles name, made locally under the same tags (no registry is reachable);
#   3. tests/docker/build-images.sh: every image built unchanged, sizes printed and checked, image checks;
#   3b. tests/docker/web-headers.sh: the web image alone, its page/asset/config.json response headers;
#   4. tests/docker/compose-ingress.sh: compose.yaml's ingress-config one-shot run by Compose in the built image;
#   5. tests/docker/stack-test.sh: API x2, worker x2, web against RabbitMQ and Ceph S3 behind the ingress
#      config, read-only and non-root, smoke test through one origin, graceful stops; cleans up.
# Stops dockerd at the end if this step started it (images and layer cache stay on disk for the next run).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! scripts/services/docker.sh status; then
  scripts/services/docker.sh up
  trap 'scripts/services/docker.sh down' EXIT
fi
scripts/docker/make-base-images.sh
bash tests/docker/build-images.sh
bash tests/docker/web-headers.sh
bash tests/docker/compose-ingress.sh
bash tests/docker/stack-test.sh
