import type { JobProgress } from './api-types';

/** `waitForJob` gave up before the job completed. */
export class JobTimeoutError extends Error {
  readonly jobId: number;
  /** The last progress seen, if any poll answered. */
  readonly last?: JobProgress;
  /**
   * Why the last poll failed (an `IngestNetworkError`, a 5xx), when it
   * did: a wait that ran out while the gateway was away says so.
   */
  readonly lastError?: unknown;
  /**
   * What the wait saw last, for a message: ` (state …, q=… i=… d=… e=…)`
   * and `; last poll failed: …`, each when there is one.
   */
  readonly detail: string;

  constructor(
    jobId: number,
    timeoutMs: number,
    last?: JobProgress,
    lastError?: unknown,
  ) {
    const seen = last
      ? ` (state ${last.state}, q=${last.q} i=${last.i} d=${last.d} e=${last.e})`
      : '';
    const reason =
      lastError instanceof Error ? lastError.message : String(lastError);
    const failed =
      lastError === undefined ? '' : `; last poll failed: ${reason}`;
    super(`job ${jobId} did not complete within ${timeoutMs} ms${seen}${failed}`, {
      cause: lastError,
    });
    this.name = 'JobTimeoutError';
    this.detail = `${seen}${failed}`;
    this.jobId = jobId;
    this.last = last;
    this.lastError = lastError;
  }
}
