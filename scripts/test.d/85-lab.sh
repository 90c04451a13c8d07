#!/usr/bin/env bash
# Two-VM lab (tests/lab/lab.sh): systemd hosts with a real vxlan100, the provider's Consul and Nomad
# servers and SSH bastion, then site.yml (twice, the second with changed=0), nomad-variables.yml and
# deploy.yml run as the docs say, then the failure scenarios under client load (figures in one JSON file,
# tests/lab/README.md). Needs `nomad` and `consul` on PATH and never builds or downloads them:
# without them it prints "skipped: no nomad/consul binaries" and passes (CI never has them).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v nomad >/dev/null 2>&1 || ! command -v consul >/dev/null 2>&1; then
  echo "skipped: no nomad/consul binaries"
  exit 0
fi
exec bash tests/lab/lab.sh all
