import type { Redis } from 'ioredis';

/** Where a service tells that Redis went away and came back. */
export interface ConnectionLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/**
 * A service's view of Redis across all its connections: one `redis
 * connection lost` warning when the first of them fails, one `redis
 * connection back` line when the last of those is ready again. Each
 * connection fails on its own during an outage, and retries every
 * 200 ms–2 s; one line per connection and attempt said nothing more.
 */
export class RedisOutage {
  private readonly down = new Set<Redis>();
  private since = 0;

  constructor(private readonly logger: ConnectionLogger) {}

  /** Follows one connection (createRedis calls this). */
  watch(redis: Redis, role: string): void {
    redis.on('error', (err: Error) => this.lost(redis, role, err));
    redis.on('ready', () => this.back(redis));
  }

  private lost(redis: Redis, role: string, err: Error) {
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
}

