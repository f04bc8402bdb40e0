import { setTimeout as sleep } from 'node:timers/promises';
import type { JobProgress } from './api-types';
import type { WaitOptions } from './client-options';
import { IngestApiError } from './ingest-api-error';
import { IngestNetworkError } from './ingest-network-error';
import { JobTimeoutError } from './job-timeout-error';
import { timerMs } from './timer-limits';

/**
 * Calls `check` until the job is complete. A failure that may pass (no
 * connection, 5xx, 429) does not end the wait: the gateway may be
 * restarting. The deadline also cuts short a call in flight, so a hung
 * gateway cannot hold the wait past it.
 */
export async function pollUntilComplete(
  check: (signal: AbortSignal) => Promise<JobProgress>,
  jobId: number,
  options: WaitOptions,
): Promise<JobProgress> {
  const timeoutMs = timerMs('timeoutMs', options.timeoutMs, 600_000);
  let intervalMs = timerMs('intervalMs', options.intervalMs, 1000);
  const maxIntervalMs = timerMs('maxIntervalMs', options.maxIntervalMs, intervalMs);
  const expiry = new AbortController();
  const timer = setTimeout(() => expiry.abort(), timeoutMs);
  const signal = options.signal
    ? AbortSignal.any([options.signal, expiry.signal])
    : expiry.signal;
  const expired = () => expiry.signal.aborted && !options.signal?.aborted;
  let last: JobProgress | undefined;
  let lastError: unknown;

  try {
    for (;;) {
      try {
        last = await check(signal);
        lastError = undefined;
        options.onProgress?.(last);
        if (last.state === 'complete') return last;
      } catch (err) {
        if (expired()) break;
        if (options.signal?.aborted || !isPassing(err)) throw err;
        lastError = err;
      }
      await sleep(intervalMs, undefined, { signal }).catch((err) => {
        if (!expired()) throw err;
      });
      intervalMs = nextPauseMs(intervalMs, maxIntervalMs);
      if (expired()) break;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new JobTimeoutError(jobId, timeoutMs, last, lastError);
}

/** The pause after one of `pauseMs`: twice as long, up to `maxMs`. */
export function nextPauseMs(pauseMs: number, maxMs: number): number {
  return Math.min(pauseMs * 2, Math.max(pauseMs, maxMs));
}

/** A failure that a later poll may not meet: the gateway away or busy. */
function isPassing(err: unknown): boolean {
  if (err instanceof IngestNetworkError) return true;
  return (
    err instanceof IngestApiError && (err.status >= 500 || err.status === 429)
  );
}
