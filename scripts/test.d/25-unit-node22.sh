#!/usr/bin/env bash
# The unit tests again on the oldest Node.js LTS imgr supports (package.json engines), so a dependency or
# an API that needs a newer runtime is caught here rather than on an operator's machine. The rest of the
# suite runs on the image's release (.ci/run). sharp's prebuilt binary is a Node-API addon: the same
# node_modules serves both runtimes.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/node.sh
. scripts/lib/node.sh
use_node 22.23.5
echo "node $(node --version)"
npx vitest run --project unit
