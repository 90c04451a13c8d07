#!/usr/bin/env bash
# The report handed in (docs/report.md): `npm run report` fills its figures from the suites' results
# (the committed docs/report/results/, each suite replaced by this run's own when an earlier step wrote
# one to $IMGR_RESULTS_DIR), renders its Graphviz diagrams, prints the PDF with Chromium, and fails when a
# figure has no result behind it or a path or command it names does not exist. The PDF and one PNG per
# page (to look at) go to $IMGR_TEST_OUT/report/. tests/report/ tests that machinery.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${IMGR_TEST_OUT:-$PWD/test-results}
mkdir -p "$OUT/report"
source scripts/lib/apt.sh
need_apt dot graphviz
need_apt pdftoppm poppler-utils
need_apt chromium chromium
# Without recommends Chromium comes with no font, and the PDF would show boxes; the style sheet names DejaVu.
compgen -G "/usr/share/fonts/truetype/dejavu/*.ttf" >/dev/null ||
  flock /tmp/apt.lock sh -c 'apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null; }'

# The machinery first: results files, figures filled, the checks failing when they should.
node --test tests/report/*.test.mjs

# A CI run reads the results the earlier steps of the same run wrote (tests/support/results.mjs).
if [ -z "${IMGR_RESULTS_DIR:-}" ] && [ "${CI:-}" = true ]; then export IMGR_RESULTS_DIR=$OUT/results; fi
status=0
IMGR_REPORT_OUT=$OUT/report npm run --silent report || status=$?
if [ -f "$OUT/report/report.pdf" ]; then
  rm -f "$OUT/report/page-"*.png
  pdftoppm -r 60 -png "$OUT/report/report.pdf" "$OUT/report/page"
  echo "report: $OUT/report/report.pdf, $(find "$OUT/report" -name 'page-*.png' | wc -l) pages as PNG beside it"
fi
exit "$status"
