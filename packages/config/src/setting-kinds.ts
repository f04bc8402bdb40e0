/**
 * The kinds of value the settings take (a switch, a duration, a size, a
 * whole number…), each refusing a bad value in words of its own.
 */
import { readSwitch, SWITCH_SPELLINGS } from '@ingest/core';
import { z } from 'zod';
import { parseByteSize } from './byte-size';
import { durationHint, parseDuration, parseSchedule } from './duration';

/** A switch, spelled as the API's flags are, in any case. */
export const flag = z.string().transform((v, ctx) => {
  const on = readSwitch(v);
  if (on !== undefined) return on;
  ctx.addIssue({ code: 'custom', message: `expected ${SWITCH_SPELLINGS}` });
  return z.NEVER;
});

export const duration = z.string().transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 5s${durationHint(err)}` });
    return z.NEVER;
  }
});

/**
 * A duration that no one means in milliseconds, given as a bare number
 * from 1 to 999: `INGEST_SHUTDOWN_TIMEOUT=60` was a 60 ms deadline, not
 * the minute meant. Refused, asking for the unit; a bare 0, or 1000 up,
 * is still milliseconds.
 */
const unitNeeded = z.string().superRefine((text, ctx) => {
  const bare = text.trim();
  if (!/^\d+(?:\.\d+)?$/.test(bare)) return;
  const ms = Number(bare);
  if (ms > 0 && ms < 1000) {
    ctx.addIssue({
      code: 'custom',
      message:
        `a bare number is milliseconds, and ${bare} ms is too short to mean: ` +
        `write ${bare}s for seconds, or ${bare}ms if milliseconds are meant`,
    });
  }
});

/** A duration of seconds or more, which a unit-less 1 to 999 cannot be. */
export const longDuration = unitNeeded.pipe(duration);

/** The longest a Node.js timer waits (2^31 - 1 ms); past it, one fires at once. */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/**
 * A duration a timer waits, from `min` ms up to TIMER_MAX_MS: `30d`
 * went to a timer that fired at once (every fetch or ffmpeg run cut
 * short as soon as it began).
 */
export function timerDuration(min: number) {
  return longDuration
    .refine((ms) => ms >= min, { error: 'expected a duration above 0, like 30s' })
    .refine((ms) => ms <= TIMER_MAX_MS, {
      error:
        'too long: expected a duration of at most 24d ' +
        `(${TIMER_MAX_MS} ms, the longest a timer waits)`,
    });
}

export const byteSize = z.string().transform((v, ctx) => {
  let message = 'expected a size like 50GiB';
  try {
    const bytes = parseByteSize(v);
    if (bytes > 0) return bytes;
  } catch (err) {
    if (err instanceof RangeError) message = err.message;
  }
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
});

export const schedule = z.string().transform((v, ctx) => {
  try {
    return parseSchedule(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `expected durations: 5s,5m,…${durationHint(err)}` });
    return z.NEVER;
  }
});

/**
 * A whole number from `min` to `max` (by default the largest a number
 * holds exactly, 2^53 - 1), one problem per bad value; one past `max`
 * is said to be too large, naming the largest allowed.
 */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const range =
    max === Number.MAX_SAFE_INTEGER ? `from ${min} up` : `from ${min} to ${max}`;
  const expected = `expected a whole number ${range}`;
  const largest = max === Number.MAX_SAFE_INTEGER ? `${max} (2^53 - 1)` : `${max}`;
  const tooLarge = `too large: expected a whole number from ${min} to ${largest}`;
  return z.string().transform((text, ctx) => {
    const n = Number(text);
    // Past 2^53 the text is no longer the number read (…993 reads as
    // …992); past about 1.8e308 it is Infinity.
    if (n > max) {
      ctx.addIssue({ code: 'custom', message: tooLarge });
    } else if (!Number.isInteger(n) || n < min) {
      ctx.addIssue({ code: 'custom', message: expected });
    }
    return n;
  });
}
