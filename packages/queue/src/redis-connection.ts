import { Redis } from 'ioredis';

/** All keys of the project live under this hash-tagged prefix. */
export const KEY_PREFIX = '{ingest}';

export type RedisRole = 'command' | 'worker';

/** Where a connection tells that Redis went away and came back. */
export interface ConnectionLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/**
 * Opens an ioredis client that reconnects forever: a Redis restart must
 * not take a service down (SPEC §3 "Nothing lost"). Workers need
 * `maxRetriesPerRequest: null` for their blocking commands. With a
 * logger, an outage is one warning and one line when Redis is back,
 * instead of an unhandled-error print per reconnect attempt.
 */
export function createRedis(
  url: string,
  role: RedisRole = 'command',
  logger?: ConnectionLogger,
): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 20,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  });

  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger?.warn({ role, err: err.message }, 'redis connection lost');
  });
  redis.on('ready', () => {
    if (down) logger?.info({ role }, 'redis connection back');
    down = false;
  });
  return redis;
}
