import { DelayedError, type Job, type Worker } from 'bullmq';

export interface StorageWaitOptions {
  /** Delay (ms) of a run's first put-back; doubles each time. 5 s. */
  firstDelayMs?: number;
  /** Longest delay (ms) between two tries of one run. 30 s. */
  maxDelayMs?: number;
  /**
   * How long (ms) one job may wait for its store in all; past it,
   * failures count as attempts again, so a store broken for good ends
   * in failed jobs rather than in runs put back for ever. 24 h.
   */
  limitMs?: number;
  /** How often (ms) a paused worker asks the store. 5 s. */
  probeEveryMs?: number;
}

export interface StorageWaitMetrics {
  /** Runs put back because the store could not be reached. */
  putBacks: { inc(): void };
  /** 1 while the worker takes jobs, 0 while it waits for storage. */
  storageUp: { set(value: number): void };
}

/** How long a job has waited for its store: since when, how often. */
export interface WaitRecord {
  since: number;
  times: number;
}

/**
 * Where a queue keeps a job's `WaitRecord`. `read` answers undefined
 * for a job that never waited; `write` keeps the record of a put-back.
 */
export interface WaitLedger<J extends Job> {
  read(job: J): WaitRecord | undefined;
  write(job: J, wait: WaitRecord): Promise<void>;
}

/** What a `StorageWait` needs of the store and of the service. */
export interface StorageWaitDeps<J extends Job> {
  /** Asked while the worker waits; ready again resumes it. */
  storage: { ready(): Promise<{ ready: boolean }> };
  /** True for a failure that means the store could not be reached. */
  isOutage(err: unknown): boolean;
  ledger: WaitLedger<J>;
  logger: { warn(fields: object, message: string): void };
  metrics?: StorageWaitMetrics;
}

type Processor<J extends Job, R> = (job: J, token?: string) => Promise<R>;

/**
 * Keeps a storage outage from using up jobs' attempts (SPEC §3,
 * "Nothing lost"). A run that failed because the store could not be
 * reached goes back to the queue, delayed, without counting as an
 * attempt, and the worker takes no more jobs until the store answers
 * again. One job waits at most `limitMs` in all.
 */
export class StorageWait<J extends Job> {
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly limitMs: number;
  private readonly probeEveryMs: number;
  private worker?: Pick<Worker, 'pause' | 'resume' | 'name'>;
  private down?: { since: number; timer?: NodeJS.Timeout };
  private closed = false;

  constructor(
    private readonly deps: StorageWaitDeps<J>,
    options: StorageWaitOptions = {},
  ) {
    this.firstDelayMs = options.firstDelayMs ?? 5_000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.limitMs = options.limitMs ?? 24 * 60 * 60 * 1000;
    this.probeEveryMs = options.probeEveryMs ?? 5_000;
    deps.metrics?.storageUp.set(1);
  }

  /** The worker paused while the store is away. */
  attach(worker: Pick<Worker, 'pause' | 'resume' | 'name'>): void {
    this.worker = worker;
  }

  /**
   * True when `err` is a storage outage and the job may still wait it
   * out: the processor then leaves its work as it is and rethrows.
   */
  holds(job: J, err: unknown): boolean {
    return this.deps.isOutage(err) && this.mayWait(job);
  }

  /** Whether the job has waited for its store less than the limit. */
  private mayWait(job: J): boolean {
    const since = this.deps.ledger.read(job)?.since ?? Date.now();
    return Date.now() - since < this.limitMs;
  }

  /**
   * Wraps the processor: a run that `holds` is put back, delayed. So is
   * a job taken while this worker waits for its store: BullMQ 6 may
   * hand one over that a fetch already waiting got just as it paused.
   */
  wrap<R>(processor: Processor<J, R>): Processor<J, R> {
    return async (job, token) => {
      if (this.down && token && this.mayWait(job)) {
        await this.putBack(job, token, 'this worker waits for storage');
        throw new DelayedError();
      }
      try {
        return await processor(job, token);
      } catch (err) {
        if (!token || !this.holds(job, err)) throw err;
        await this.putBack(job, token, (err as Error).message);
        this.pause((err as Error).message);
        // Tells BullMQ the job was moved on purpose: no attempt counted.
        throw new DelayedError();
      }
    };
  }

  private async putBack(job: J, token: string, reason: string) {
    const last = this.deps.ledger.read(job);
    const wait = { since: last?.since ?? Date.now(), times: (last?.times ?? 0) + 1 };
    const delayMs = Math.min(
      this.maxDelayMs,
      this.firstDelayMs * 2 ** (wait.times - 1),
    );
    await this.deps.ledger.write(job, wait);
    await job.moveToDelayed(Date.now() + delayMs, token);
    this.deps.metrics?.putBacks.inc();
    this.deps.logger.warn(
      {
        queue: job.queueName,
        bullJobId: job.id,
        times: wait.times,
        waitingMs: Date.now() - wait.since,
        delayMs,
        reason,
      },
      `${job.queueName} put back: storage unavailable`,
    );
  }

  /** Takes no more jobs until the store answers again. */
  private pause(reason: string) {
    if (this.down || this.closed) return;
    this.down = { since: Date.now() };
    this.deps.metrics?.storageUp.set(0);
    this.deps.logger.warn(
      { queue: this.worker?.name, reason, probeEveryMs: this.probeEveryMs },
      'storage unavailable; no jobs taken until it answers',
    );
    // Runs in flight go on: each fails or finishes by itself.
    void this.worker?.pause(true);
    this.probeLater();
  }

  private probeLater() {
    if (!this.down || this.closed) return;
    this.down.timer = setTimeout(() => void this.probe(), this.probeEveryMs);
    this.down.timer.unref();
  }

  private async probe() {
    const found = await this.deps.storage
      .ready()
      .catch(() => ({ ready: false }));
    if (!this.down || this.closed) return;
    if (!found.ready) return this.probeLater();

    const downMs = Date.now() - this.down.since;
    this.down = undefined;
    this.deps.metrics?.storageUp.set(1);
    this.deps.logger.warn(
      { queue: this.worker?.name, downMs },
      'storage answers again; jobs taken again',
    );
    await this.worker?.resume();
  }

  /** Stops probing; idempotent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.down?.timer);
  }
}
