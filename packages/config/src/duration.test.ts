import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config';
import {
  DurationError,
  formatDuration,
  parseDuration,
  parseSchedule,
} from './duration';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

test('durations take units', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1500'), 1500);
  assert.throws(() => parseDuration('soon'));
});

test('a duration past 2^53 - 1 ms is refused as too long, not taken as Infinity', () => {
  for (const text of ['9'.repeat(400), `${'9'.repeat(400)}w`, '9007199254740992']) {
    assert.throws(
      () => parseDuration(text),
      (err: unknown) => err instanceof DurationError && /^too long/.test(err.hint ?? ''),
      text.slice(0, 20),
    );
  }
  assert.equal(parseDuration('9007199254740991'), Number.MAX_SAFE_INTEGER);
  assert.throws(() => loadConfig({ INGEST_MAX_DURATION: '9'.repeat(400) }), /too long/);
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

test('a duration is spelled back in its largest whole unit', () => {
  assert.equal(formatDuration(30 * 60_000), '30m');
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatDuration(2 * 3_600_000), '2h');
  assert.equal(formatDuration(1500), '1500ms');
  for (const text of ['30m', '90s', '1500ms', '2w']) {
    assert.equal(formatDuration(parseDuration(text)), text);
  }
});
