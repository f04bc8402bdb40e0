import type { Redis } from 'ioredis';
import { isRedisOutOfMemory, REDIS_FULL, redisIsFull } from './redis-full';

/** Where a service tells that Redis filled up and has room again. */
export interface FullWatchLogger {
  error(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface RedisFullWatchOptions {
  /** How often Redis's memory is read while it is full, ms. Default 5 000. */
  intervalMs?: number;
  /**
   * Where that memory cannot be read (INFO refused): Redis counts as
   * having room again after this long without a refusal, ms. Longer than
   * the workers' retry of their loop (BullMQ's, 15 s). Default 60 000.
   */
  quietMs?: number;
}

interface Episode {
  since: number;
  lastRefusalAt: number;
  refusals: number;
  queues: Set<string>;
  timer: NodeJS.Timeout;
}

/**
 * A service's view of a full Redis (`maxmemory` under `noeviction`),
 * across its workers: one `redis is full (maxmemory)` error line with
 * Redis's answer at the first refusal, one `redis has room again` line
 * with how long it lasted, how many refusals came and on which queues
 * once Redis takes writes again (its memory is read every `intervalMs`
 * meanwhile). The refusals between go to debug: each worker meets one
 * on every retry of its loop and at every stalled-job check, for as
 * long as Redis stays full, and those lines said nothing new.
 */
export class RedisFullWatch {
  private episode?: Episode;
  private reading = false;
  private readonly intervalMs: number;
  private readonly quietMs: number;

  /** `redis` is the connection its memory is read on. */
  constructor(
    private readonly redis: Redis,
    private readonly logger: FullWatchLogger,
    options: RedisFullWatchOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.quietMs = options.quietMs ?? 60_000;
  }

  /**
   * Takes a worker's error: true when it was Redis refusing a write for
   * want of memory, which this then logs; false for any other error.
   */
  refused(err: unknown, fields: { queue: string }): boolean {
    if (!isRedisOutOfMemory(err)) return false;
    const message = (err as Error).message;
    const now = Date.now();
    if (this.episode) {
      this.episode.refusals += 1;
      this.episode.lastRefusalAt = now;
      this.episode.queues.add(fields.queue);
      this.logger.debug({ ...fields, err: message }, 'redis still full');
      return true;
    }
    this.logger.error({ ...fields, err: message }, REDIS_FULL);
    const timer = setInterval(() => void this.look(), this.intervalMs);
    timer.unref();
    this.episode = {
      since: now,
      lastRefusalAt: now,
      refusals: 1,
      queues: new Set([fields.queue]),
      timer,
    };
    return true;
  }

  /** Whether a refusal came and Redis has not had room since. */
  get full(): boolean {
    return this.episode !== undefined;
  }

  /** Stops watching, without a line; idempotent. */
  close(): void {
    if (this.episode) clearInterval(this.episode.timer);
    this.episode = undefined;
  }

  private async look() {
    // A read held by a Redis outage is not asked again on top of it.
    if (!this.episode || this.reading) return;
    if (this.redis.status === 'end') return this.close();
    this.reading = true;
    try {
      const full = await redisIsFull(this.redis);
      const episode = this.episode;
      if (!episode || full) return;
      const quiet = Date.now() - episode.lastRefusalAt >= this.quietMs;
      if (full === undefined && !quiet) return;
      this.logger.info(
        {
          fullMs: Date.now() - episode.since,
          refusals: episode.refusals,
          queues: [...episode.queues],
        },
        'redis has room again',
      );
      this.close();
    } finally {
      this.reading = false;
    }
  }
}
