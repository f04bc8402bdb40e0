#!/usr/bin/env bash
# Runs every *.test.ts under packages/, services/ and test/ with node's test
# runner, except the slow fault tests (test/faults: npm run test:faults).
# Pass file paths to run only those.
#
# A file that runs past INGEST_TEST_TIMEOUT_MS (default 10 min) fails with
# 'test timed out' and its process is ended, so a hang is a red run, not a
# stalled one. Node 20 applies --test-timeout to each file as a whole.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find packages services test -name '*.test.ts' \
    -not -path '*/node_modules/*' -not -path 'test/faults/*' | sort)
fi
exec node --import tsx --test --test-concurrency=1 \
  --test-timeout="${INGEST_TEST_TIMEOUT_MS:-600000}" "${files[@]}"
