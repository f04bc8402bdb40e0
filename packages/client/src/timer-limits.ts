/**
 * Longest delay a Node timer takes, ms (2^31 - 1, about 24.8 days).
 * Past it, setTimeout fires after 1 ms instead: a limit of `Infinity`
 * would end every call at once, and a long Retry-After would turn into
 * a burst of retries.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A time option in ms, checked once: positive, or a TypeError naming
 * it; longer than a timer holds (`Infinity` too) means as long as one
 * holds, in effect no limit.
 */
export function timerMs(name: string, value: number | undefined, fallback: number): number {
  const ms = value ?? fallback;
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms <= 0) {
    throw new TypeError(`${name} must be a positive number of ms, got: ${String(ms)}`);
  }
  return Math.min(ms, MAX_TIMER_MS);
}
