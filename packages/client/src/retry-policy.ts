import { MAX_TIMER_MS } from './timer-limits';

/** How calls are retried. Every field has a default (see `DEFAULT_RETRY`). */
export interface RetryOptions {
  /**
   * Retries after the first try; 0 turns retrying off. Default 6: with
   * the default backoff, up to 25 s in all, about 13 s on average, so a
   * call rides out a restart of the gateway (a second of supervisor
   * backoff plus a few of boot).
   */
  retries: number;
  /** Backoff before the first retry, ms; doubles each retry. Default 500. */
  baseDelayMs: number;
  /** Cap of one wait, ms; a longer `Retry-After` is cut to it. Default 10 000. */
  maxDelayMs: number;
  /**
   * `full`: wait a random time in [0, backoff] (spreads clients apart best);
   * `equal`: half the backoff plus a random half; `none`: the backoff
   * itself. Default `full`.
   */
  jitter: 'full' | 'equal' | 'none';
  /** Random numbers in [0, 1); tests make it fixed. Default Math.random. */
  random: () => number;
}

export const DEFAULT_RETRY: RetryOptions = {
  retries: 6,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  jitter: 'full',
  random: Math.random,
};

/** What went wrong with one attempt. */
export type AttemptFailure =
  | { kind: 'status'; status: number; retryAfterMs?: number }
  | { kind: 'network'; error: unknown };

/**
 * 5xx answers that a repeat would only meet again: 507 is the site's
 * storage quota (`quota_exceeded`), which stays full until the client
 * deletes something, so a retry would send the same file to the same
 * refusal (six times, a large upload's bytes each time).
 */
const FINAL_SERVER_STATUSES = new Set([507]);

/**
 * Whether a failed attempt may be tried again. 429 and 503 mean the
 * gateway refused before doing any work (a busy upload slot, draining),
 * so every call retries them (the transport throws at once a 5xx that
 * names an upload it stored all the same). Other 5xx answers and broken connections
 * may hide work that was done, so only idempotent calls retry those,
 * and none of them a 5xx that says the same request cannot succeed.
 */
export function isRetryable(
  failure: AttemptFailure,
  idempotent: boolean,
): boolean {
  if (failure.kind === 'network') return idempotent;
  if (failure.status === 429 || failure.status === 503) return true;
  if (FINAL_SERVER_STATUSES.has(failure.status)) return false;
  return idempotent && failure.status >= 500;
}

/**
 * The wait before retry number `retry` (0 for the first retry): capped
 * exponential backoff with jitter, and never shorter than the server's
 * `Retry-After` (itself capped by `maxDelayMs`).
 */
export function retryDelay(
  retry: number,
  options: RetryOptions,
  retryAfterMs?: number,
): number {
  const backoff = Math.min(
    options.maxDelayMs,
    options.baseDelayMs * 2 ** retry,
  );
  let delay: number;
  if (options.jitter === 'full') delay = options.random() * backoff;
  else if (options.jitter === 'equal') {
    delay = backoff / 2 + (options.random() * backoff) / 2;
  } else delay = backoff;

  if (retryAfterMs !== undefined) {
    delay = Math.max(delay, Math.min(retryAfterMs, options.maxDelayMs));
  }
  // A longer sleep would end after 1 ms: a burst of retries.
  return Math.round(Math.min(delay, MAX_TIMER_MS));
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`. */
export function parseRetryAfter(
  header: string | null,
  now = Date.now(),
): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
