#!/usr/bin/env bash
# Continuous deployment of one commit to the Nomad cluster, used by .github/workflows/deploy.yml and
# .gitlab-ci.yml (and by hand):
#   deploy/scripts/nomad-deploy.sh <image-tag (git commit sha)>
# Every job is submitted with the deploy inputs file deploy/nomad/deploy.vars.hcl (-var-file, the same
# file playbooks/deploy.yml submits) and, for imgr and imgr-sweep, -var image_tag=<sha>:
# 1. submits the ingress job (a system job: HAProxy on every node; unchanged jobs are no-ops);
# 2. submits deploy/nomad/imgr.nomad.hcl and waits for the deployment: canaries start beside the old version,
#    become healthy (Consul checks) and are promoted, or Nomad's auto_revert puts the last stable version
#    back and we stop here with a failure (the sweep keeps its old image);
# 3. only then submits the sweep job with the same tag;
# 4. runs scripts/smoke.sh against public_url from the deploy inputs (upload -> four variants -> GET -> delete);
# 5. if the smoke test fails, reverts: `nomad job revert` to the version that ran before, waits for that
#    deployment, and fails the pipeline.
# env: NOMAD_ADDR, NOMAD_TOKEN (and NOMAD_NAMESPACE if needed) from the CI's secret store; with TLS on the
#      servers NOMAD_ADDR=https://..., NOMAD_CACERT (their CA) and, if they verify HTTPS clients,
#      NOMAD_CLIENT_CERT/NOMAD_CLIENT_KEY: only the nomad CLI talks to Nomad, and it reads them itself;
#      DEPLOY_TIMEOUT (s, default 900) for one deployment; SMOKE_TIMEOUT for scripts/smoke.sh;
#      IMGR_REGISTRY: where this pipeline pushed the images; must equal image_registry in the deploy inputs;
#      IMGR_REGISTRY_LOGIN_ON_NODES=1 skips the check that both images can be pulled without credentials.
# needs: nomad (v1.6.5, the last MPL-2.0 release, on PATH), jq, curl, python3
set -euo pipefail
cd "$(dirname "$0")/../.."

tag=${1:?usage: nomad-deploy.sh <image-tag>}
: "${NOMAD_ADDR:?NOMAD_ADDR must come from the CI secrets}"
job=imgr
timeout=${DEPLOY_TIMEOUT:-900}
inputs=deploy/nomad/deploy.vars.hcl

log() { echo "deploy: $*" >&2; }
# Immutable tags only: a commit sha, so what runs is known exactly and a revert is exact.
[[ "$tag" =~ ^[0-9a-f]{7,40}$ ]] || { log "image tag '$tag' is not a git commit sha"; exit 2; }

[ -f "$inputs" ] || { log "$inputs is missing: copy deploy/nomad/deploy.vars.example.hcl, fill it in and commit it"; exit 2; }
# A string input of the var file (one `name = "value"` line, as in the example).
input() { sed -n "s/^$1 *= *\"\\(.*\\)\"/\\1/p" "$inputs" | tail -1; }
url=$(input public_url)
[[ "$url" =~ ^https?:// ]] || { log "public_url in $inputs is not a URL: '$url'"; exit 2; }
registry=$(input image_registry)
if [ -n "${IMGR_REGISTRY:-}" ] && [ "$IMGR_REGISTRY" != "$registry" ]; then
  log "this pipeline pushed to $IMGR_REGISTRY but $inputs deploys image_registry = \"$registry\""
  exit 2
fi
submit() { nomad job run -detach "-var-file=$inputs" "$@" >&2; }
# The nodes pull without credentials: stop before submitting if the images are not public. Set
# IMGR_REGISTRY_LOGIN_ON_NODES=1 once the nodes have their own registry login.
if [ "${IMGR_REGISTRY_LOGIN_ON_NODES:-0}" != 1 ] && [[ "$tag" =~ ^[0-9a-f]{7,40}$ ]]; then
  for name in imgr imgr-web; do deploy/scripts/check-public-image.sh "$registry/$name:$tag" || exit 2; done
fi

job_json() { nomad job inspect -json "$job" 2>/dev/null | jq '.Job // .'; }
image_tag_of() { jq -r '[.TaskGroups[].Tasks[].Config.image // empty][0] // "" | sub("^.*:"; "")'; }

# Waits for the deployment of job version $1; prints its final status.
wait_deployment() {
  local version=$1 deadline=$((SECONDS + timeout)) dep status
  while :; do
    dep=$(nomad job deployments -json "$job" | jq -r --argjson v "$version" '[.[] | select(.JobVersion == $v)][0].ID // empty')
    if [ -n "$dep" ]; then
      status=$(nomad deployment status -json "$dep" | jq -r .Status)
      case "$status" in
        successful|failed|cancelled) echo "$status"; return 0 ;;
      esac
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then echo timeout; return 0; fi
    sleep 5
  done
}

before=$(job_json || true)
prev_version=$(jq -r '.Version // empty' <<<"$before")
prev_tag=$(image_tag_of <<<"$before")
log "running: version ${prev_version:-none} (image ${prev_tag:-none}); deploying image $tag"

submit deploy/nomad/ingress.nomad.hcl
submit -var "image_tag=$tag" deploy/nomad/imgr.nomad.hcl
# The version that runs this image: the newest one with it in the job history (not "the current version",
# which a fast auto_revert may already have replaced).
new_version=$(nomad job history -json "$job" | jq -r --arg t "$tag" \
  '[.[] | (.Job // .) | select([.TaskGroups[].Tasks[].Config.image // empty] | any(endswith(":" + $t))) | .Version] | max // empty')
[ -n "$new_version" ] || { log "no job version runs image $tag after the submission"; exit 1; }
if [ "$new_version" = "$prev_version" ]; then
  log "job unchanged (image $tag already deployed): no deployment"
else
  status=$(wait_deployment "$new_version")
  log "deployment of version $new_version: $status"
  if [ "$status" != successful ]; then
    nomad job status "$job" >&2 || true
    log "deployment not successful; Nomad's auto_revert restores the last stable version"
    exit 1
  fi
fi
# The periodic cleanup runs the same image, once that image is known to run; it has no deployment to wait for.
submit -var "image_tag=$tag" deploy/nomad/sweep.nomad.hcl

if SMOKE_TIMEOUT=${SMOKE_TIMEOUT:-120} scripts/smoke.sh "$url"; then
  log "image $tag live and smoke-tested at $url"
  exit 0
fi

log "smoke test FAILED against $url"
if [ -z "$prev_version" ] || [ "$new_version" = "$prev_version" ]; then
  log "nothing to revert to"
  exit 1
fi
log "reverting $job to version $prev_version (image $prev_tag)"
nomad job revert -detach "$job" "$prev_version" >&2
if [ -n "$prev_tag" ]; then
  submit -var "image_tag=$prev_tag" deploy/nomad/sweep.nomad.hcl || true
fi
reverted=$(job_json | jq -r .Version)
log "revert deployment (version $reverted): $(wait_deployment "$reverted")"
exit 1
