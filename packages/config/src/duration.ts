const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses `250ms`, `5s`, `5m`, `2h`, `1d` or a bare number of ms. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) throw new Error(`not a duration: "${text}"`);
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']);
}

/** Parses a comma-separated list of durations, e.g. `5s,5m,30m`. */
export function parseSchedule(text: string): number[] {
  return text.split(',').map(parseDuration);
}
