import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IngestApiError } from '@ingest/client';
import { IMPORTS_ENDPOINT, importFailure } from './import-failure';

test("a refusal's body becomes the error HTTP would have thrown", () => {
  const reason = JSON.stringify({
    error: 'unknown metadata fields: Mood Ring',
    code: 'unknown_fields',
    fields: ['Mood Ring'],
  });
  const err = importFailure(reason, 'req-1');
  assert.ok(err instanceof IngestApiError);
  assert.equal(err.code, 'unknown_fields');
  assert.equal(err.status, 400);
  assert.equal(err.message, 'unknown metadata fields: Mood Ring');
  assert.deepEqual(err.body.fields, ['Mood Ring']);
  assert.equal(err.endpoint, IMPORTS_ENDPOINT);
  assert.equal(err.requestId, 'req-1');

  assert.equal(importFailure('{"error":"x","code":"not_audio"}').status, 415);
  assert.equal(
    importFailure('{"error":"x","code":"unsupported_version"}').status,
    400,
  );
});

test('a reason that is no body of ours reads as internal', () => {
  for (const reason of [
    undefined,
    '',
    'job stalled more than allowable limit',
    '[1,2]',
    '{"code":"not_audio"}',
  ]) {
    const err = importFailure(reason);
    assert.equal(err.code, 'internal', String(reason));
    assert.equal(err.status, 500);
  }
  assert.equal(
    importFailure('job stalled more than allowable limit').message,
    'import failed: job stalled more than allowable limit',
  );
  // A code the registry lacks keeps its code, with status 500.
  const odd = importFailure('{"error":"x","code":"constructor"}');
  assert.equal(odd.code, 'constructor');
  assert.equal(odd.status, 500);
});
