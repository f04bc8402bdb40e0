import { setMaxListeners } from 'node:events';
import { DelayedError, type Job, type Worker } from 'bullmq';

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
        // A run that put its job back itself (a DelayedError) gave up its
        // lock: a second move would fail, and fail the job's bookkeeping.
        if (err instanceof DelayedError) throw err;
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

/**
 * How long a shutdown waits for a worker's close: past the hand-back
 * (the runs it held are given back by then), and half of what is left,
 * so the rest of the close still fits before the deadline.
 */
export function closeWaitMs(deadlineMs: number): number {
  const handBack = handBackAfter(deadlineMs);
  return handBack + (deadlineMs - handBack) / 2;
}

/**
 * Closes a worker, waiting at most `waitMs`. BullMQ's close may never
 * resolve once the worker's connection went through a reconnect (a
 * Redis restart just before or during the shutdown; BullMQ issue 4656),
 * which would hold the service until its deadline and exit 1. Past the
 * wait the worker is left as it is: the caller drops its connection,
 * and a run it still held was handed back already, or is taken up again
 * when its lock lapses.
 */
export async function closeWorker(
  worker: Pick<Worker, 'close' | 'name'>,
  waitMs: number,
  logger: { warn(fields: object, message: string): void },
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'late'>((resolve) => {
    timer = setTimeout(resolve, waitMs, 'late');
  });
  const closed = worker.close().then(
    () => 'closed' as const,
    () => 'closed' as const,
  );
  const outcome = await Promise.race([closed, waited]);
  clearTimeout(timer);
  if (outcome === 'late') {
    logger.warn(
      { queue: worker.name, waitMs },
      'worker did not close in time; its connection is dropped',
    );
  }
}
