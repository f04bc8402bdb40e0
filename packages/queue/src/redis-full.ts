import type { Redis } from 'ioredis';
import { isRedisRefusal } from './redis-refusal';

/** The log line, and the `/readyz` reason, of a full Redis. */
export const REDIS_FULL = 'redis is full (maxmemory)';

/**
 * What a caller is told when a write met a full Redis: 503 `not_ready`
 * with this text. Redis's own answer goes to the logs (or the error's
 * `cause`): the service's insides are none of the caller's business.
 */
export const REDIS_FULL_ANSWER =
  'the service is out of room for new work; retry later';

/**
 * True when `err` (or an error it wraps, or a MULTI's queued command:
 * isRedisRefusal) is Redis refusing a write because it reached
 * `maxmemory`: with `noeviction`, which the services require, a full
 * Redis answers every write with an `OOM` error.
 */
export function isRedisOutOfMemory(err: unknown): boolean {
  return isRedisRefusal(err, /\bOOM command not allowed\b/);
}

/**
 * Whether Redis is past `maxmemory` as it judges it before a write: the
 * memory it uses, less its replication and AOF buffers, above the
 * limit. `undefined` when that cannot be told: INFO refused (an ACL
 * without `@dangerous`) or not answered.
 */
export async function redisIsFull(redis: Redis): Promise<boolean | undefined> {
  let info: string;
  try {
    info = await redis.info('memory');
  } catch {
    return undefined;
  }
  const field = (name: string) => {
    const match = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
    return match ? Number(match[1]) : undefined;
  };
  const max = field('maxmemory');
  const used = field('used_memory');
  if (max === undefined || used === undefined) return undefined;
  if (max === 0) return false;
  return used - (field('mem_not_counted_for_evict') ?? 0) > max;
}
