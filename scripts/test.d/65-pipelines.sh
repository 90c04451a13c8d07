#!/usr/bin/env bash
# The CI/CD pipelines shipped to the project's users are valid:
#   - actionlint on .github/workflows (syntax, expressions, action inputs, and shellcheck on every run: block);
#   - .gitlab-ci.yml: YAML parse + structure (tests/pipelines/check-gitlab-ci.py), shellcheck on its scripts;
#   - shellcheck on the deploy and smoke scripts the pipelines call;
#   - gitleaks over the git history, the same secret scan the pipelines run;
#   - tests/pipelines/deploy-flow.sh: the deploy script's decisions (wait, smoke, revert) against a simulated
#     Nomad CLI and a real `imgr all`;
#   - tests/pipelines/registry-access.sh: the deploy's "images pullable without credentials" check against a
#     stand-in registry speaking the token protocol.
set -euo pipefail
cd "$(dirname "$0")/../.."

ACTIONLINT_VERSION=v1.7.12
GITLEAKS_VERSION=v8.28.0   # same as the pipelines' ghcr.io/gitleaks/gitleaks image
tools=${IMGR_TOOLS_DIR:-$HOME/.cache/imgr-tools}
source scripts/lib/apt.sh
need_apt shellcheck shellcheck
need_apt jq jq
need_apt curl curl
python3 -c 'import yaml' 2>/dev/null || need_apt no-such-command python3-yaml

go_tool() {   # go_tool <name> <module/cmd@version>: installs once into $tools/<name>-<version>/, prints the path
  local dir="$tools/$1-${2##*@}"
  [ -x "$dir/$1" ] || { mkdir -p "$dir" && GOBIN=$dir go install "$2"; }
  echo "$dir/$1"
}
actionlint=$(go_tool actionlint "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION")
gitleaks=$(go_tool gitleaks "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION")

"$actionlint" -shellcheck "$(command -v shellcheck)" .github/workflows/*.yml
workflows=(.github/workflows/*.yml)
echo "actionlint: ${#workflows[@]} workflow files clean"

python3 tests/pipelines/check-gitlab-ci.py .gitlab-ci.yml
# Every GitLab job's shell lines, as the runner would run them, through shellcheck.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(".gitlab-ci.yml"))
templates = {k: v for k, v in doc.items() if k.startswith(".")}
for name, job in doc.items():
    if not isinstance(job, dict) or "script" not in job:
        continue
    lines = []
    for parent in [job["extends"]] if isinstance(job.get("extends"), str) else job.get("extends", []):
        lines += templates.get(parent, {}).get("before_script", [])
    lines += job.get("before_script", []) + job["script"]
    with open(f"{sys.argv[1]}/{name.strip('.')}.sh", "w") as f:
        f.write("#!/bin/sh\n# shellcheck disable=SC2154  # GitLab provides the CI_* variables\n")
        f.write("\n".join(lines) + "\n")
PY
shellcheck -s sh "$tmp"/*.sh
jobs=("$tmp"/*.sh)
echo "shellcheck: ${#jobs[@]} GitLab job scripts clean"

shellcheck -x scripts/lib/apt.sh scripts/smoke.sh deploy/scripts/*.sh scripts/docker/*.sh scripts/services/docker.sh tests/docker/*.sh \
  tests/pipelines/*.sh scripts/test.d/65-*.sh scripts/test.d/70-docker.sh
echo "shellcheck: deploy, smoke and docker scripts clean"

if git rev-parse --git-dir >/dev/null 2>&1; then
  "$gitleaks" git . --redact --no-banner --exit-code 1 --log-level warn
  echo "gitleaks: no secret in $(git rev-list --count HEAD) commits"
fi

bash tests/pipelines/registry-access.sh
bash tests/pipelines/deploy-flow.sh
