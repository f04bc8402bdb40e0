import type { Redis } from 'ioredis';
import { isRedisTimeout } from './redis-timeout';

/** Where a service tells that Redis went away and came back. */
export interface ConnectionLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface RedisOutageOptions {
  /**
   * How long a PING may go unanswered on an open connection before Redis
   * counts as not answering, ms. Longer than a busy Redis's worst pause
   * (a fork for a snapshot, a slow script) and than `/readyz`'s 2 s, so
   * a probe that fails once is not logged. Default 5 000.
   */
  stallAfterMs?: number;
  /** How often that PING is sent while Redis answers, ms. Default 2 000. */
  pingEveryMs?: number;
}

/**
 * A service's view of Redis across all its connections: one `redis
 * connection lost` warning when the first of them fails, one `redis
 * connection back` line when the last of those is ready again. Each
 * connection fails on its own during an outage, and retries every
 * 200 ms–2 s; one line per connection and attempt said nothing more.
 *
 * A Redis that stops answering with its connections still open (a
 * process stopped with SIGSTOP, a hung host, a network that drops
 * packets without a reset) breaks nothing, so no connection fails:
 * commands just wait. `watchAnswers` tells that case, with a PING every
 * `pingEveryMs`: one `redis not answering` warning once one has waited
 * `stallAfterMs`, one `redis answering again` line when it is answered.
 */
export class RedisOutage {
  private readonly down = new Set<Redis>();
  private since = 0;
  private readonly stallAfterMs: number;
  private readonly pingEveryMs: number;
  /** When the unanswered PING was sent, once the stall is told. */
  private stalledSince?: number;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly logger: ConnectionLogger,
    options: RedisOutageOptions = {},
  ) {
    this.stallAfterMs = options.stallAfterMs ?? 5_000;
    this.pingEveryMs = options.pingEveryMs ?? 2_000;
  }

  /** Follows one connection (createRedis calls this). */
  watch(redis: Redis, role: string): void {
    redis.on('error', (err: Error) => this.lost(redis, role, err));
    redis.on('ready', () => this.back(redis));
  }

  /**
   * PINGs Redis on `redis`, one of the service's connections, until
   * `close`; one PING awaited at a time. On a connection with a
   * `commandTimeout` a PING given up stays queued for Redis and the next
   * is sent: a stall piles up one a period, a few bytes each.
   */
  watchAnswers(redis: Redis): void {
    this.pingLater(redis);
  }

  /** Stops the PINGs, without a line; idempotent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private lost(redis: Redis, role: string, err: Error) {
    // The connection broke after all: its loss and return tell the rest.
    this.stalledSince = undefined;
    if (this.down.has(redis)) return;
    this.down.add(redis);
    if (this.down.size > 1) return;
    this.since = Date.now();
    this.logger.warn({ role, err: err.message }, 'redis connection lost');
  }

  private back(redis: Redis) {
    if (!this.down.delete(redis) || this.down.size > 0) return;
    const downMs = Date.now() - this.since;
    this.logger.info({ downMs }, 'redis connection back');
  }

  private pingLater(redis: Redis) {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.ping(redis), this.pingEveryMs);
    this.timer.unref();
  }

  private async ping(redis: Redis) {
    if (this.closed || redis.status === 'end') return;
    // A connection that is down is told by `lost`; a PING would only
    // wait in ioredis's offline queue.
    if (redis.status !== 'ready') return this.pingLater(redis);

    const sent = Date.now();
    const late = setTimeout(() => this.notAnswering(sent), this.stallAfterMs);
    late.unref();
    const answered = await redis.ping().then(
      () => true,
      (err: unknown) => (isRedisTimeout(err) ? undefined : false),
    );
    clearTimeout(late);
    // A PING given up (a connection's commandTimeout) leaves the stall
    // told: the next one's answer ends it.
    if (answered === undefined) return this.pingLater(redis);
    if (answered && this.stalledSince !== undefined && !this.closed) {
      const stalledMs = Date.now() - this.stalledSince;
      this.logger.info({ stalledMs }, 'redis answering again');
    }
    this.stalledSince = undefined;
    this.pingLater(redis);
  }

  private notAnswering(sent: number) {
    if (this.closed || this.down.size > 0) return;
    if (this.stalledSince !== undefined) return;
    this.stalledSince = sent;
    this.logger.warn({ waitedMs: this.stallAfterMs }, 'redis not answering');
  }
}
