#!/usr/bin/env bash
# `nomad fmt -check` on the given HCL files. Without a nomad on PATH (CI never has one), the formatter
# nomad fmt calls, hclwrite.Format from github.com/hashicorp/hcl/v2, is run through Go (tests/deploy/hclfmt).
#   tests/deploy/hcl-fmt-check.sh deploy/nomad/*.hcl
set -euo pipefail
cd "$(dirname "$0")/../.."
if command -v nomad >/dev/null && nomad version >/dev/null 2>&1; then
  echo "nomad fmt -check ($(nomad version | head -1))"
  nomad fmt -check "$@"
else
  echo "hclwrite.Format through Go (no nomad on PATH)"
  files=()
  for f in "$@"; do files+=("$PWD/$f"); done
  (cd tests/deploy/hclfmt && go run . "${files[@]}")
fi
echo "formatted: $*"
