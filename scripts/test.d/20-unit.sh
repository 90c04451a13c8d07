#!/usr/bin/env bash
# Unit tests of each module (adapters replaced by the in-memory ones) and the web components.
set -euo pipefail
npx vitest run --project unit $( [ -f web/vitest.config.ts ] && echo --project web )
