import { Redis } from 'ioredis';

/** All keys of the project live under this hash-tagged prefix. */
export const KEY_PREFIX = '{ingest}';

export type RedisRole = 'command' | 'worker';

/**
 * Opens an ioredis client that reconnects forever: a Redis restart must
 * not take a service down (SPEC §3 "Nothing lost"). Workers need
 * `maxRetriesPerRequest: null` for their blocking commands.
 */
export function createRedis(url: string, role: RedisRole = 'command'): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 20,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  });
}
