#!/usr/bin/env bash
# A stand-in for the `nomad` CLI, for tests/pipelines/deploy-flow.sh: it implements just the commands
# deploy/scripts/nomad-deploy.sh uses, over a state directory, and logs every call. It models what matters
# to the deploy script and playbooks/deploy.yml (plan, var get): a submitted job with a new image becomes a new job version with a deployment; a
# failed deployment is auto-reverted by "Nomad" (a further version with the old image); `job revert` makes a
# new version with the image of the version it names. No change of image means no new version.
# env: FAKE_NOMAD_STATE (directory), FAKE_DEPLOY_RESULT (successful|failed, for the next deployments)
set -euo pipefail
S=${FAKE_NOMAD_STATE:?}
mkdir -p "$S"
[ -f "$S/versions.json" ] || echo '[]' > "$S/versions.json"
[ -f "$S/deployments.json" ] || echo '[]' > "$S/deployments.json"
echo "$*" >> "$S/calls.log"

versions() { cat "$S/versions.json"; }
current_tag() { versions | jq -r 'last.tag // ""'; }
add_version() {   # add_version <tag> <deployment status>
  local v
  v=$(versions | jq 'length')
  versions | jq --arg t "$1" --argjson v "$v" '. + [{Version: $v, tag: $t}]' > "$S/v.tmp" && mv "$S/v.tmp" "$S/versions.json"
  jq --arg s "$2" --argjson v "$v" '[{ID: "dep-\($v)", JobVersion: $v, Status: $s}] + .' "$S/deployments.json" > "$S/d.tmp"
  mv "$S/d.tmp" "$S/deployments.json"
}

case "$1 ${2:-}" in
  "version ") echo "Nomad v0.0.0-fake" ;;
  "job inspect")
    [ "$(versions | jq 'length')" -gt 0 ] || { echo "No job(s) with prefix or ID \"imgr\" found" >&2; exit 1; }
    versions | jq '{Job: {ID: "imgr", Version: last.Version,
      TaskGroups: [{Name: "api", Tasks: [{Config: {image: "ghcr.io/imgr/imgr:\(last.tag)"}}]}]}}' ;;
  "job run")
    file=${*: -1}
    tag=$(printf '%s\n' "$@" | sed -n 's/^\(-var=\)\{0,1\}image_tag=//p' | tail -1)
    case "$file" in
      */imgr.nomad.hcl)
        if [ "$tag" != "$(current_tag)" ]; then
          before=$(current_tag)
          add_version "$tag" "${FAKE_DEPLOY_RESULT:-successful}"
          # auto_revert: the last stable image comes back as a new version
          if [ "${FAKE_DEPLOY_RESULT:-successful}" = failed ] && [ -n "$before" ]; then add_version "$before" successful; fi
        fi ;;
    esac
    echo "==> Evaluation \"fake\" finished" ;;
  "job plan")
    # Every plan is a change (exit 1: allocations would be created), as on a first deployment.
    echo "+/- Job: \"$(basename "${*: -1}" .nomad.hcl)\""
    exit 1 ;;
  "var get") echo '{"Items": {}}' ;;
  "job history")
    versions | jq 'reverse | map({Job: {ID: "imgr", Version: .Version,
      TaskGroups: [{Name: "api", Tasks: [{Config: {image: "ghcr.io/imgr/imgr:\(.tag)"}}]}]}})' ;;
  "job deployments") cat "$S/deployments.json" ;;
  "deployment status") jq --arg id "${*: -1}" '.[] | select(.ID == $id)' "$S/deployments.json" ;;
  "job revert")
    target=${*: -1}
    add_version "$(versions | jq -r --argjson v "$target" '.[] | select(.Version == $v) | .tag')" successful ;;
  "job status") versions | jq -c . ;;
  *) echo "fake nomad: unsupported: $*" >&2; exit 3 ;;
esac
