#!/usr/bin/env bash
# Runs every *.test.ts under packages/, services/ and test/ with node's test
# runner, except the slow fault tests (test/faults: npm run test:faults).
# Pass file paths to run only those.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find packages services test -name '*.test.ts' \
    -not -path '*/node_modules/*' -not -path 'test/faults/*' | sort)
fi
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
