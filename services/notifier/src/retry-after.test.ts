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

// RFC 9110 §5.6.7: recipients accept the obsolete RFC 850 and asctime
// forms too; only the IMF-fixdate form was read, and the others left
// the retry to the schedule, sooner than the receiver asked.
test('Retry-After as an RFC 850 or asctime date', () => {
  assert.equal(retryAfterMs('Saturday, 05-Dec-26 13:00:00 GMT', NOW), 3_600_000);
  assert.equal(retryAfterMs('Sat Dec  5 13:00:00 2026', NOW), 3_600_000);
  assert.equal(retryAfterMs('Tue Dec 15 12:00:00 2026', NOW), 10 * 86_400_000);
  // A two-digit year more than 50 years ahead is of the last century.
  assert.equal(retryAfterMs('Sunday, 06-Nov-94 08:49:37 GMT', NOW), 0);
  const in2050 = Date.UTC(2050, 11, 5, 12) - NOW;
  assert.equal(retryAfterMs('Monday, 05-Dec-50 12:00:00 GMT', NOW), in2050);
});

test('anything else leaves the schedule alone', () => {
  const values = [undefined, '', '-5', '1.5', '12abc', 'soon', '2e3'];
  // Date.parse takes these; HTTP does not.
  values.push('foo 1', '2026-12-05T13:00:00Z');
  // Near misses of the three date forms, and days the calendar lacks.
  values.push('Sat, 5 Dec 2026 13:00:00 GMT', 'Sat, 31 Feb 2026 13:00:00 GMT');
  values.push('Sat, 05 Dec 2026 25:00:00 GMT', 'Sat, 05-Dec-26 13:00:00 GMT');
  values.push('Saturday, 05-Dec-2026 13:00:00 GMT', 'Sat Dec 5 13:00:00 2026');
  values.push('Sat Dec  5 13:00:00 2026 GMT', 'Sat, 05 Dec 2026 13:00:00 UTC');
  for (const value of values) {
    assert.equal(retryAfterMs(value, NOW), undefined, String(value));
  }
});
