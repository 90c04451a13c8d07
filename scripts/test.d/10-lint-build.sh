#!/usr/bin/env bash
# Lint and format check (Biome), then the strict TypeScript build of every workspace and the web page.
set -euo pipefail
npx biome ci .
npm run build
