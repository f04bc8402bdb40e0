import {
  MAX_TIMER_MS,
  OUTPUT_FORMATS,
  type OutputFormat,
} from '@ingest/client';
import { CliUsageError } from './exit-codes';
import type { OptionValues } from './command';

export function optionalText(values: OptionValues, name: string) {
  const value = values[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** A positive integer option such as `--job`, or undefined. */
export function optionalId(values: OptionValues, name: string) {
  const value = optionalText(values, name);
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,14}$/.test(value)) {
    throw new CliUsageError(`--${name} must be a positive integer: ${value}`);
  }
  return Number(value);
}

export function requiredId(values: OptionValues, name: string) {
  const id = optionalId(values, name);
  if (id === undefined) throw new CliUsageError(`--${name} is required`);
  return id;
}

export { MAX_TIMER_MS };

/**
 * The largest `--timeout`, `--slot-wait` (seconds) a timer can hold: a
 * longer one fires after 1 ms, and `--timeout` past it gave up at once.
 */
export const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/**
 * A positive number option such as `--timeout 90`, at most `max`, or
 * the default.
 */
export function positiveNumber(
  values: OptionValues,
  name: string,
  fallback: number,
  max: number,
) {
  const value = optionalText(values, name);
  // Given blank (`--timeout "$UNSET"`), it took the default unsaid.
  if (value === undefined && typeof values[name] === 'string') {
    throw new CliUsageError(`--${name} must be a positive number, not blank`);
  }
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new CliUsageError(`--${name} must be a positive number: ${value}`);
  }
  if (number > max) {
    throw new CliUsageError(`--${name} must be at most ${max}: ${value}`);
  }
  return number;
}

/** `--formats mp3,wav` as a checked list, or undefined. */
export function formatsOption(values: OptionValues) {
  const value = optionalText(values, 'formats');
  if (value === undefined) return undefined;
  const formats = value
    .split(',')
    .map((f) => f.trim().toLowerCase())
    .filter(Boolean);
  const known: readonly string[] = OUTPUT_FORMATS;
  const bad = formats.filter((f) => !known.includes(f));
  if (bad.length > 0 || formats.length === 0) {
    throw new CliUsageError(
      `--formats takes ${OUTPUT_FORMATS.join(', ')}; got: ${value}`,
    );
  }
  return [...new Set(formats)] as OutputFormat[];
}
