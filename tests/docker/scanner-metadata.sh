#!/usr/bin/env bash
# The scanner metadata of an image with a hand-assembled root matches the files in it:
#   tests/docker/scanner-metadata.sh <image>
# - /etc/os-release names the Debian release the libraries come from;
# - every shared library outside /app (sharp's bundled libvips is covered by its npm package) is listed
#   in the info/<package>.list of a package of /var/lib/dpkg/status;
# - every package in status is installed, has a version and a .list, and every file it lists is present.
# Trivy and Grype read exactly this (the distroless layout) to find the Debian packages of an image.
set -euo pipefail
image=${1:?usage: scanner-metadata.sh <image>}
fail() { echo "scanner-metadata: FAIL: $*" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
container=$(docker create "$image")
docker export "$container" | tar -x -C "$root"
docker rm "$container" >/dev/null

grep -q '^ID=debian$' "$root/etc/os-release" || fail "no Debian /etc/os-release in $image"
version=$(sed -n 's/^VERSION_ID="\(.*\)"$/\1/p' "$root/etc/os-release")
status=$root/var/lib/dpkg/status
[ -s "$status" ] || fail "no /var/lib/dpkg/status in $image"

# Paths relative to the root, with /lib, /bin... spelled as under merged /usr.
canon() { sed -e 's#^/##' -e 's#^\(lib\|lib64\|bin\|sbin\)/#usr/\1/#'; }
listed=$(cat "$root"/var/lib/dpkg/info/*.list | canon | sort -u)
packages=$(sed -n 's/^Package: //p' "$status" | sort)
[ -n "$packages" ] || fail "status lists no package"
for pkg in $packages; do
  stanza=$(awk -v p="$pkg" '$0 == "Package: " p {on=1} on && /^$/ {exit} on' "$status")
  grep -q '^Status: install ok installed$' <<<"$stanza" || fail "$pkg is not 'install ok installed'"
  grep -q '^Version: .' <<<"$stanza" || fail "$pkg has no version"
  list=
  for f in "$root/var/lib/dpkg/info/$pkg.list" "$root/var/lib/dpkg/info/$pkg":*.list; do [ -e "$f" ] && { list=$f; break; }; done
  [ -n "$list" ] || fail "$pkg has no info/$pkg.list"
  while read -r file; do [ -e "$root/$file" ] || fail "$pkg lists $file, absent from $image"; done < <(canon < "$list")
done
# Every shared library and the init binary are accounted for.
count=0
while read -r lib; do
  rel=${lib#"$root"/}
  grep -qxF "$rel" <<<"$listed" || fail "$rel is in $image but in no package of the dpkg status"
  count=$((count + 1))
done < <(find "$root/usr/lib" "$root/usr/lib64" -path "$root/usr/lib/dpkg" -prune -o \( -type f -name '*.so*' \) -print 2>/dev/null)
[ "$count" -gt 0 ] || fail "no shared library found in $image"
echo "scanner-metadata: $image: Debian $version, $(wc -w <<<"$packages") packages ($(tr '\n' ' ' <<<"$packages")) own all $count libraries" >&2
