#!/usr/bin/env bash
# Installs the Nomad CLI used by the deploy pipelines (GitHub Actions, GitLab CI), pinned and verified.
#   scripts/deploy/install-nomad.sh [dest-dir]      (default /usr/local/bin; needs curl, unzip, sha256sum)
set -euo pipefail
VERSION=1.10.5
# SHA-256 of nomad_1.10.5_linux_amd64.zip from HashiCorp's SHA256SUMS: a tampered or truncated download fails.
SHA256=4242244ab1f6887e963d6bb674ac490ee9b270a29aff6f826c51ef3187c77044
dest=${1:-/usr/local/bin}

if command -v nomad >/dev/null && nomad version | grep -q "v$VERSION"; then exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp/nomad.zip" "https://releases.hashicorp.com/nomad/$VERSION/nomad_${VERSION}_linux_amd64.zip"
echo "$SHA256  $tmp/nomad.zip" | sha256sum -c --quiet
unzip -q -o "$tmp/nomad.zip" nomad -d "$tmp"
install -m 0755 "$tmp/nomad" "$dest/nomad"
"$dest/nomad" version
