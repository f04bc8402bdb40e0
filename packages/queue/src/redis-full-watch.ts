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

/**
 * Who met a refusal: a worker, by its queue, or an API call, by its
 * route and request id.
 */
export type RefusalOrigin =
  | { queue: string }
  | { call: string; requestId: string };

interface Episode {
  since: number;
  lastRefusalAt: number;
  refusals: number;
  queues: Set<string>;
  /** API calls answered 503 for it. */
  calls: number;
  timer: NodeJS.Timeout;
}

/**
 * A service's view of a full Redis (`maxmemory` under `noeviction`),
 * across its workers and, in the gateway, its API calls: one `redis is
 * full (maxmemory)` error line with Redis's answer at the first refusal,
 * one `redis has room again` line with how long it lasted, how many
 * refusals came, on which queues and in how many calls once Redis takes
 * writes again (its memory is read every `intervalMs` meanwhile). The
 * refusals between go to debug: each worker meets one on every retry of
 * its loop and at every stalled-job check, and every call that writes
 * meets one, for as long as Redis stays full; those lines said nothing
 * new.
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
   * Takes a worker's or an API call's error: true when it was Redis
   * refusing a write for want of memory, which this then logs; false for
   * any other error.
   */
  refused(err: unknown, origin: RefusalOrigin): boolean {
    if (!isRedisOutOfMemory(err)) return false;
    const fields = { ...origin, err: (err as Error).message };
    const now = Date.now();
    if (this.episode) {
      this.count(this.episode, origin);
      this.episode.refusals += 1;
      this.episode.lastRefusalAt = now;
      this.logger.debug(fields, 'redis still full');
      return true;
    }
    this.logger.error(fields, REDIS_FULL);
    const timer = setInterval(() => void this.look(), this.intervalMs);
    timer.unref();
    this.episode = {
      since: now,
      lastRefusalAt: now,
      refusals: 1,
      queues: new Set(),
      calls: 0,
      timer,
    };
    this.count(this.episode, origin);
    return true;
  }

  /** Whether a refusal came and Redis has not had room since. */
  get full(): boolean {
    return this.episode !== undefined;
  }

  private count(episode: Episode, origin: RefusalOrigin) {
    if ('queue' in origin) episode.queues.add(origin.queue);
    else episode.calls += 1;
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
          calls: episode.calls,
        },
        'redis has room again',
      );
      this.close();
    } finally {
      this.reading = false;
    }
  }
}
