import { DelayedError, type Job, type Worker } from 'bullmq';
import type { Gauge, Counter } from 'prom-client';
import type { TypedJob } from '@ingest/queue';
import {
  isStorageUnavailable,
  StorageUnavailableError,
  type Storage,
} from '@ingest/storage';
import type { Logger } from '@ingest/telemetry';

export interface StorageWaitOptions {
  /** Delay (ms) of a run's first put-back; doubles each time. 5 s. */
  firstDelayMs?: number;
  /** Longest delay (ms) between two tries of one run. 30 s. */
  maxDelayMs?: number;
  /**
   * How long (ms) one upload may wait for its store in all; past it,
   * failures count as attempts again, so a store broken for good ends
   * in errored uploads rather than in runs put back for ever. 24 h.
   */
  limitMs?: number;
  /** How often (ms) a paused transcoder asks the store. 5 s. */
  probeEveryMs?: number;
}

export interface StorageWaitMetrics {
  /** Runs put back because the store could not be reached. */
  putBacks: Counter;
  /** 1 while this transcoder takes jobs, 0 while it waits for storage. */
  storageUp: Gauge;
}

type Processor<R> = (job: TypedJob<'transcode'>, token?: string) => Promise<R>;

/**
 * Keeps a storage outage from using up uploads' attempts (SPEC §3,
 * "Nothing lost"). A run that failed because the store could not be
 * reached goes back to the queue, delayed, without counting as an
 * attempt, and the transcoder takes no more jobs until the store
 * answers again. One upload waits at most `limitMs` in all.
 */
export class StorageWait {
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly limitMs: number;
  private readonly probeEveryMs: number;
  private worker?: Pick<Worker, 'pause' | 'resume'>;
  private down?: { since: number; timer?: NodeJS.Timeout };
  private closed = false;

  constructor(
    private readonly storage: Pick<Storage, 'ready'>,
    private readonly logger: Logger,
    private readonly metrics?: StorageWaitMetrics,
    options: StorageWaitOptions = {},
  ) {
    this.firstDelayMs = options.firstDelayMs ?? 5_000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.limitMs = options.limitMs ?? 24 * 60 * 60 * 1000;
    this.probeEveryMs = options.probeEveryMs ?? 5_000;
    metrics?.storageUp.set(1);
  }

  /** The worker paused while the store is away. */
  attach(worker: Pick<Worker, 'pause' | 'resume'>): void {
    this.worker = worker;
  }

  /**
   * True when `err` is a storage outage and the job may still wait it
   * out: the processor then leaves its upload queued and rethrows.
   */
  holds(job: TypedJob<'transcode'>, err: unknown): boolean {
    return isStorageUnavailable(err) && this.mayWait(job);
  }

  /** Whether the job's upload has waited for its store less than the limit. */
  private mayWait(job: TypedJob<'transcode'>): boolean {
    const since = job.data.storageWait?.since ?? Date.now();
    return Date.now() - since < this.limitMs;
  }

  /**
   * Wraps the processor: a run that `holds` is put back, delayed. So is
   * a job taken while this transcoder waits for its store: BullMQ 6 may
   * hand one over that a fetch already waiting got just as it paused.
   */
  wrap<R>(processor: Processor<R>): Processor<R> {
    return async (job, token) => {
      if (this.down && token && this.mayWait(job)) {
        const away = new StorageUnavailableError(
          'storage unavailable: this transcoder waits for it',
        );
        await this.putBack(job, token, away);
        throw new DelayedError();
      }
      try {
        return await processor(job, token);
      } catch (err) {
        if (!token || !this.holds(job, err)) throw err;
        await this.putBack(job, token, err as Error);
        // Tells BullMQ the job was moved on purpose: no attempt counted.
        throw new DelayedError();
      }
    };
  }

  private async putBack(job: Job, token: string, err: Error) {
    const data = job.data as TypedJob<'transcode'>['data'];
    const last = data.storageWait;
    const wait = { since: last?.since ?? Date.now(), times: (last?.times ?? 0) + 1 };
    const delayMs = Math.min(
      this.maxDelayMs,
      this.firstDelayMs * 2 ** (wait.times - 1),
    );
    await job.updateData({ ...data, storageWait: wait });
    await job.moveToDelayed(Date.now() + delayMs, token);
    this.metrics?.putBacks.inc();
    this.logger.warn(
      {
        queue: 'transcode',
        bullJobId: job.id,
        uploadId: data.uploadId,
        times: wait.times,
        waitingMs: Date.now() - wait.since,
        delayMs,
        reason: err.message,
      },
      'transcode put back: storage unavailable',
    );
    this.pause(err);
  }

  /** Takes no more jobs until the store answers again. */
  private pause(err: Error) {
    if (this.down || this.closed) return;
    this.down = { since: Date.now() };
    this.metrics?.storageUp.set(0);
    this.logger.warn(
      { reason: err.message, probeEveryMs: this.probeEveryMs },
      'storage unavailable; transcoder takes no jobs until it answers',
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
    const found = await this.storage.ready().catch(() => ({ ready: false }));
    if (!this.down || this.closed) return;
    if (!found.ready) return this.probeLater();

    const downMs = Date.now() - this.down.since;
    this.down = undefined;
    this.metrics?.storageUp.set(1);
    this.logger.warn({ downMs }, 'storage answers again; transcoder takes jobs');
    await this.worker?.resume();
  }

  /** Stops probing; idempotent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.down?.timer);
  }
}
