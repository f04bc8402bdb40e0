import { DelayedError, type Job } from 'bullmq';

type Processor<R> = (job: Job, token?: string) => Promise<R>;

/**
 * Lets a draining transcoder give back the runs it cannot finish before
 * its shutdown deadline: their ffmpeg is stopped through `signal`, and
 * the queue job goes back to waiting at once, without counting as a
 * failed attempt, for another transcoder (or this one's successor).
 */
export class RunHandBack {
  private readonly controller = new AbortController();

  /** Aborted when unfinished runs are to be given back. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Wraps the worker's processor so that an aborted run is handed back. */
  wrap<R>(processor: Processor<R>): Processor<R> {
    return async (job, token) => {
      try {
        return await processor(job, token);
      } catch (err) {
        if (!this.signal.aborted || !token) throw err;
        await job.moveToDelayed(Date.now(), token);
        // Tells BullMQ that the job was moved on purpose.
        throw new DelayedError();
      }
    };
  }

  /**
   * Gives back what still runs once `afterMs` pass; call the returned
   * function when the runs finished in time.
   */
  armDeadline(afterMs: number): () => void {
    const timer = setTimeout(() => this.controller.abort(), afterMs);
    timer.unref();
    return () => clearTimeout(timer);
  }
}

/**
 * When to give runs back within a shutdown deadline: late enough that
 * most runs finish, early enough that handing back (one Redis call per
 * run) and closing fit before the deadline.
 */
export function handBackAfter(deadlineMs: number): number {
  return Math.max(deadlineMs / 2, deadlineMs - 5_000);
}
