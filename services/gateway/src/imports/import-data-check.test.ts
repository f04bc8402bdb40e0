import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '@ingest/core';
import { importDataCheck } from './import-data-check';

const quiet = { error: () => {} };
const check = importDataCheck(16, quiet);

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

  // A fault of the meta scan was swallowed without a word: the job ran
  // unchecked and nobody knew the check had failed.
  test('a fault of the meta scan is logged, without the payload', () => {
    const lines: Array<{ fields: object; message: string }> = [];
    const logger = { error: (fields: object, message: string) => lines.push({ fields, message }) };
    const payload = '{"meta":{"secret-value-1":1}}';
    const faulty = importDataCheck(1000, logger, (text) => {
      throw new SyntaxError(`cannot read ${text}`);
    });
    assert.equal(faulty(payload), undefined, 'the job runs as before');
    assert.equal(lines.length, 1);
    assert.equal(lines[0].message, 'import meta number scan failed');
    const told = JSON.stringify(lines[0].fields);
    assert.match(told, /"type":"SyntaxError"/);
    assert.match(told, /import-data-check\.test\.ts/);
    assert.doesNotMatch(told, /secret-value-1/);
    // A refusal of the scan is no fault.
    const refusing = importDataCheck(1000, logger);
    assert.ok(refusing('{"meta":{"BPM":1e-400}}') instanceof ApiError);
    assert.equal(lines.length, 1);
  });
});
