import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryAfterMs } from './retry-after';

const NOW = Date.parse('2026-12-05T12:00:00Z');

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(retryAfterMs('120', NOW), 120_000);
  assert.equal(retryAfterMs(' 0 ', NOW), 0);
  assert.equal(retryAfterMs(['30', '60'], NOW), 30_000);
  assert.equal(retryAfterMs('Sat, 05 Dec 2026 13:00:00 GMT', NOW), 3_600_000);
  // A date already past means now.
  assert.equal(retryAfterMs('Sat, 05 Dec 2026 11:00:00 GMT', NOW), 0);
});

test('anything else leaves the schedule alone', () => {
  const values = [undefined, '', '-5', '1.5', '12abc', 'soon', '2e3'];
  // Date.parse takes these; HTTP does not.
  values.push('foo 1', '2026-12-05T13:00:00Z');
  for (const value of values) {
    assert.equal(retryAfterMs(value, NOW), undefined, String(value));
  }
});
