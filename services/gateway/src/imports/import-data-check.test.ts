import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '@ingest/core';
import { importDataCheck } from './import-data-check';

const check = importDataCheck(16);

describe('importDataCheck', () => {
  test('lets JSON of up to the cap through, whatever its value', () => {
    for (const text of ['{"v":1}', 'null', '"text"', '[1,2]', `{"a":"${'x'.repeat(8)}"}`]) {
      assert.equal(check(text), undefined, text);
    }
  });

  test('counts UTF-8 bytes, not characters', () => {
    // 5 characters of 3 bytes each and the quotes: 17 bytes.
    const refusal = check(`"${'€'.repeat(5)}"`);
    assert.ok(refusal instanceof ApiError);
    assert.equal(refusal.code, 'payload_too_large');
    assert.equal(refusal.message, 'job data exceeds 16 bytes');
    assert.equal(check(`"${'€'.repeat(4)}é"`), undefined);
  });

  test('refuses text that is not JSON, before anything reads it', () => {
    for (const text of ['not json', '{"v":1', "{'v':1}", '']) {
      const refusal = check(text);
      assert.ok(refusal instanceof ApiError, text);
      assert.deepEqual(refusal.toBody(), {
        error: 'job data is not JSON; add the payload as a JSON object',
        code: 'invalid_parameter',
        parameters: [],
      });
    }
  });
});
