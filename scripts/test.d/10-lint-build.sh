#!/usr/bin/env bash
# Lint and format check (Biome), the layer rules of docs/architecture.md (what may import what), the
# strict TypeScript build of every workspace and the web page, then a type check of the tests
# themselves (the build leaves *.test.ts and tests/ out).
set -euo pipefail
npx biome ci .
node --test tests/architecture/layers.test.mjs
npm run build
npx tsc -p tsconfig.tests.json
