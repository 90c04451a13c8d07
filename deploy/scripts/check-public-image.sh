#!/usr/bin/env bash
# Checks that an image can be pulled without credentials, as the Nomad clients pull it (no registry login
# is configured on the nodes: the packages must be public, deploy/README.md "Registry access"):
#   deploy/scripts/check-public-image.sh <registry-host>/<repository>:<tag>
# Follows the registry token protocol anonymously (a 401 names the token service; a public repository
# hands out a pull token without credentials), then asks for the manifest. Exit 0 when it is there.
set -euo pipefail
image=${1:?usage: check-public-image.sh <host>/<repository>:<tag>}
host=${image%%/*}
rest=${image#*/}
repo=${rest%:*}
tag=${rest##*:}
scheme=${IMGR_REGISTRY_SCHEME:-https}
accept='application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json'
manifest="$scheme://$host/v2/$repo/manifests/$tag"

headers=$(mktemp)
trap 'rm -f "$headers"' EXIT
code=$(curl -sS -o /dev/null -D "$headers" -w '%{http_code}' -H "Accept: $accept" "$manifest" || echo 000)
if [ "$code" = 401 ]; then
  challenge=$(grep -i '^www-authenticate: *bearer' "$headers" | tr -d '\r' || true)
  field() { sed -n "s/.*$1=\"\([^\"]*\)\".*/\1/p" <<<"$challenge"; }
  realm=$(field realm)
  if [ -n "$realm" ]; then
    token=$(curl -sS -G "$realm" --data-urlencode "service=$(field service)" \
      --data-urlencode "scope=repository:$repo:pull" | jq -r '.token // .access_token // empty' || true)
    if [ -n "$token" ]; then
      code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Accept: $accept" -H "Authorization: Bearer $token" "$manifest" || echo 000)
    fi
  fi
fi
if [ "$code" = 200 ]; then
  echo "check-public-image: $image can be pulled without credentials" >&2
  exit 0
fi
echo "check-public-image: $image cannot be pulled without credentials (HTTP $code): the nodes have no registry login," \
  "so make the package public (deploy/README.md, \"Registry access\")" >&2
exit 1
