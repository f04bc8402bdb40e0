import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config';
import { DurationError, parseDuration, parseSchedule } from './duration';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

test('durations take units', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1500'), 1500);
  assert.throws(() => parseDuration('soon'));
});

test('w is weeks; S, H, D and W are taken in upper case too', () => {
  assert.equal(parseDuration('2w'), 14 * DAY);
  assert.equal(parseDuration('1.5w'), 10.5 * DAY);
  assert.equal(parseDuration('7D'), 7 * DAY);
  assert.equal(parseDuration('12H'), 12 * HOUR);
  assert.equal(parseDuration('30S'), 30_000);
  assert.equal(parseDuration(' 2W '), 14 * DAY);
  assert.deepEqual(parseSchedule('5S,1H,1d'), [5000, HOUR, DAY]);
  // The rest stay refused: no hint, there is nothing to say but that.
  for (const text of ['5MS', '5Ms', '5mS', '1y', '3x', '1hour', 'w', 'constructor']) {
    assert.throws(
      () => parseDuration(text),
      (err: unknown) => err instanceof DurationError && err.hint === undefined,
      text,
    );
  }
});

test('M is refused, naming minutes m: it reads as months as well', () => {
  assert.throws(
    () => parseDuration('6M'),
    (err: unknown) =>
      err instanceof DurationError &&
      /^M is not a unit: minutes are m, and months are given in days/.test(err.hint ?? ''),
  );
  // A setting says it as well.
  assert.throws(() => loadConfig({ INGEST_FETCH_TIMEOUT: '10M' }), {
    problems: [
      'INGEST_FETCH_TIMEOUT: expected a duration like 5s (M is not a unit: ' +
        'minutes are m, and months are given in days, d, or weeks, w)',
    ],
  });
});
