#!/usr/bin/env bash
# The decisions of deploy/scripts/nomad-deploy.sh, the deploy step of both pipelines, against a simulated
# Nomad CLI (tests/pipelines/fake-nomad.sh) and a real imgr (`imgr all`, local storage) as the public URL:
#   1. a good commit: submitted with its sha, deployment waited for, smoke test passes, no revert;
#   2. the deployment fails (canary unhealthy): the script fails and leaves the revert to Nomad's auto_revert;
#   3. the smoke test fails: the script reverts to the job version that ran before, and fails;
#   4. a tag that is not a commit sha (e.g. "latest") is refused before anything is submitted.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
imgr_pid=
cleanup() {
  if [ -n "$imgr_pid" ]; then kill "$imgr_pid" 2>/dev/null || true; wait "$imgr_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "deploy-flow: FAIL: $*" >&2; [ -f "$S/calls.log" ] && sed 's/^/  nomad /' "$S/calls.log" >&2; exit 1; }

[ -f cli/dist/main.js ] || npm run build >/dev/null
mkdir -p "$work/bin"
ln -s "$PWD/tests/pipelines/fake-nomad.sh" "$work/bin/nomad"
# No registry here: the anonymous-pull check is tested by tests/pipelines/registry-access.sh.
export PATH="$work/bin:$PATH" NOMAD_ADDR=http://nomad.invalid:4646 DEPLOY_TIMEOUT=20 SMOKE_TIMEOUT=30 IMGR_REGISTRY_LOGIN_ON_NODES=1

# A free port for imgr all.
port=$(node tests/support/ports.mjs)
PORT=$port IMGR_DATA_DIR="$work/data" LOG_LEVEL=warn node cli/dist/main.js all > "$work/imgr.log" 2>&1 &
imgr_pid=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || { cat "$work/imgr.log" >&2; fail "imgr all did not start"; }
url=http://127.0.0.1:$port
dead_url=http://127.0.0.1:1    # nothing listens there: every smoke test fails at once

# A copy of the repository's deploy files with the deploy inputs filled in; public_url is set per case.
tree() {   # tree <public url>: prints the directory
  local dir=$work/tree-$RANDOM
  mkdir -p "$dir/deploy/nomad"
  cp -r deploy scripts "$dir/"
  sed -e "s|^public_url = .*|public_url = \"$1\"|" -e 's|^image_registry = .*|image_registry = "ghcr.io/imgr"|' \
    -e 's|"CHANGE-ME"|"test-value"|g' deploy/nomad/deploy.vars.example.hcl > "$dir/deploy/nomad/deploy.vars.hcl"
  echo "$dir"
}
good_tree=$(tree "$url")
dead_tree=$(tree "$dead_url")

OLD=1111111111111111111111111111111111111111
NEW=2222222222222222222222222222222222222222
BAD=3333333333333333333333333333333333333333

fresh_state() {   # a cluster running version 0 with image $OLD
  S=$work/state-$1
  export FAKE_NOMAD_STATE=$S
  FAKE_DEPLOY_RESULT=successful nomad job run -detach -var "image_tag=$OLD" deploy/nomad/imgr.nomad.hcl >/dev/null
  : > "$S/calls.log"
}
image_now() { nomad job inspect -json imgr | jq -r '.Job.TaskGroups[0].Tasks[0].Config.image'; }

# 1. success
fresh_state ok
(cd "$good_tree" && bash deploy/scripts/nomad-deploy.sh "$NEW") > "$work/ok.out" 2> "$work/ok.err" || { cat "$work/ok.err" >&2; fail "good deploy failed"; }
inputs=-var-file=deploy/nomad/deploy.vars.hcl
grep -q "job run -detach $inputs deploy/nomad/ingress.nomad.hcl" "$S/calls.log" || fail "ingress job not submitted with the deploy inputs"
grep -q "job run -detach $inputs -var image_tag=$NEW deploy/nomad/imgr.nomad.hcl" "$S/calls.log" || fail "imgr job not submitted with the sha"
grep -q "job run -detach $inputs -var image_tag=$NEW deploy/nomad/sweep.nomad.hcl" "$S/calls.log" || fail "sweep job not submitted with the sha"
grep -q 'job revert' "$S/calls.log" && fail "reverted after a good deploy"
[ "$(image_now)" = "ghcr.io/imgr/imgr:$NEW" ] || fail "not running $NEW after a good deploy"
grep -q '"deleted":true' "$work/ok.out" || fail "smoke test did not run to its end"
echo "deploy-flow: good commit deployed and smoke-tested: $(tail -1 "$work/ok.out")"

# 2. failed deployment: Nomad auto-reverts, the script must not pile a revert on top, and must fail
fresh_state failed
if (cd "$good_tree" && FAKE_DEPLOY_RESULT=failed bash deploy/scripts/nomad-deploy.sh "$BAD") > /dev/null 2> "$work/failed.err"; then
  fail "a failed deployment passed"
fi
grep -q 'job revert' "$S/calls.log" && fail "the script reverted on top of Nomad's auto_revert"
grep -q 'sweep.nomad.hcl' "$S/calls.log" && fail "sweep job submitted although the deployment failed"
grep -q 'deployment of version 1: failed' "$work/failed.err" || fail "the failure was not reported: $(cat "$work/failed.err")"
echo "deploy-flow: failed deployment stops the pipeline (Nomad auto_revert restores $(image_now))"

# 3. smoke test fails after a successful deployment: revert to version 0 ($OLD)
fresh_state smoke
if (cd "$dead_tree" && bash deploy/scripts/nomad-deploy.sh "$BAD") > /dev/null 2> "$work/smoke.err"; then
  fail "a failed smoke test passed"
fi
grep -q 'job revert -detach imgr 0$' "$S/calls.log" || fail "no revert to version 0 after the smoke failure"
grep -q "job run -detach $inputs -var image_tag=$OLD deploy/nomad/sweep.nomad.hcl" "$S/calls.log" || fail "sweep not put back on $OLD"
[ "$(image_now)" = "ghcr.io/imgr/imgr:$OLD" ] || fail "running $(image_now) after the revert, expected $OLD"
echo "deploy-flow: smoke failure reverted the job to version 0 (image $OLD)"

# 4. mutable tags are refused, and so is a pipeline whose registry is not the deploy inputs' one
fresh_state registry
if (cd "$good_tree" && IMGR_REGISTRY=ghcr.io/other bash deploy/scripts/nomad-deploy.sh "$NEW") > /dev/null 2> "$work/registry.err"; then
  fail "a registry other than image_registry was accepted"
fi
grep -q 'image_registry = "ghcr.io/imgr"' "$work/registry.err" || fail "registry mismatch not explained: $(cat "$work/registry.err")"
[ ! -s "$S/calls.log" ] || fail "something was submitted with a mismatched registry"
echo "deploy-flow: images pushed elsewhere than image_registry are refused before any submission"

fresh_state tag
if (cd "$good_tree" && bash deploy/scripts/nomad-deploy.sh latest) > /dev/null 2>&1; then fail "tag 'latest' accepted"; fi
[ ! -s "$S/calls.log" ] || fail "something was submitted for tag 'latest'"
echo "deploy-flow: a non-sha tag is refused before any submission"
