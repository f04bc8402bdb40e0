// Clients branch on `code` (SPEC §1): the README, where the API is
// described, names every code the registry holds, both those calls answer
// and those an upload errors with in the pipeline, so none is met first
// in a failed call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERRORS, UPLOAD_ERROR_CODES } from '@ingest/core';
import { readText } from './repo-files';

test('the README names every error code of the registry', () => {
  const readme = readText('README.md');
  const codes = [...new Set([...Object.keys(ERRORS), ...UPLOAD_ERROR_CODES])];
  const missing = codes.filter((code) => !readme.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});
