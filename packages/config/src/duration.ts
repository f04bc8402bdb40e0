/** Milliseconds in each unit, by its lower-case name. */
const UNITS = new Map<string, number>([
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
  ['w', 604_800_000],
]);

/**
 * Units also taken in upper case (`7D`, `12H`): none can be read as
 * another. `M` is not among them: it is months as often as minutes.
 */
const UPPER_CASE_UNITS = new Set(['S', 'H', 'D', 'W']);

/** A text that is no duration; `hint` says what to write instead, if known. */
export class DurationError extends Error {
  override name = 'DurationError';

  constructor(
    text: string,
    readonly hint?: string,
  ) {
    super(`not a duration: "${text}"`);
  }
}

/** ` (the hint)` of a refused duration, to add to a message; else ''. */
export function durationHint(err: unknown): string {
  return err instanceof DurationError && err.hint ? ` (${err.hint})` : '';
}

/**
 * Parses `250ms`, `5s`, `5m`, `2h`, `1d`, `2w` or a bare number of ms.
 * Units are lower case; `S`, `H`, `D` and `W` are taken too. `M` is
 * refused with a hint: minutes are `m`, and a month is no fixed length.
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!match) throw new DurationError(text);
  const [, amount, written] = match;
  if (written === 'M') {
    throw new DurationError(
      text,
      'M is not a unit: minutes are m, and months are given in days, d, or weeks, w',
    );
  }
  const unit = UPPER_CASE_UNITS.has(written) ? written.toLowerCase() : written || 'ms';
  const ms = UNITS.get(unit);
  if (ms === undefined) throw new DurationError(text);
  const total = Math.round(Number(amount) * ms);
  // 400 digits read as Infinity, which went on as a time limit or delay.
  if (!Number.isSafeInteger(total)) {
    throw new DurationError(text, `too long: at most ${Number.MAX_SAFE_INTEGER} ms`);
  }
  return total;
}

/**
 * A duration as a setting spells it, in the largest unit it is a whole
 * number of (`30m`, `90s`, `1500ms`): for messages that name a setting.
 */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNITS.get(unit) ?? 1;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Parses a comma-separated list of durations, e.g. `5s,5m,30m`. */
export function parseSchedule(text: string): number[] {
  return text.split(',').map(parseDuration);
}
