import { setMaxListeners } from 'node:events';
import { DelayedError, type Job } from 'bullmq';

type Processor<J extends Job, R> = (job: J, token?: string) => Promise<R>;

/**
 * Lets a draining worker give back the runs it cannot finish before its
 * shutdown deadline: their work (an ffmpeg, a fetch, a delivery) is
 * stopped through `signal`, and the queue job goes back to waiting at
 * once, without counting as a failed attempt, for another worker (or
 * this one's successor). BullMQ's own `close(true)` would leave the job
 * active until its lock lapsed, and count it as stalled.
 */
export class RunHandBack {
  private readonly controller = new AbortController();

  constructor() {
    // Each run in flight listens to the signal: no leak past 10.
    setMaxListeners(0, this.controller.signal);
  }

  /** Aborted when unfinished runs are to be given back. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Wraps the worker's processor so that an aborted run is handed back. */
  wrap<J extends Job, R>(processor: Processor<J, R>): Processor<J, R> {
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
 * When to give runs back (or cut calls short) within a shutdown deadline:
 * late enough that most finish, early enough that handing back (one
 * Redis call per run), each one's cleanup and closing fit before it.
 */
export function handBackAfter(deadlineMs: number): number {
  return Math.max(deadlineMs / 2, deadlineMs - 5_000);
}
