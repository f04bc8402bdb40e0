import type { JobProgress } from './api-types';

/** `waitForJob` gave up before the job completed. */
export class JobTimeoutError extends Error {
  readonly jobId: number;
  /** The last progress seen, if any poll answered. */
  readonly last?: JobProgress;

  constructor(jobId: number, timeoutMs: number, last?: JobProgress) {
    const seen = last
      ? ` (state ${last.state}, q=${last.q} i=${last.i} d=${last.d} e=${last.e})`
      : '';
    super(`job ${jobId} did not complete within ${timeoutMs} ms${seen}`);
    this.name = 'JobTimeoutError';
    this.jobId = jobId;
    this.last = last;
  }
}
