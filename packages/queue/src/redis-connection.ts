import { Redis } from 'ioredis';
import { isRedisDiskError, REDIS_DISK_ERROR } from './redis-disk-error';
import { REDIS_FULL, redisIsFull } from './redis-full';
import type { RedisOutage } from './redis-outage';

/** All keys of the project live under this hash-tagged prefix. */
export const KEY_PREFIX = '{ingest}';

export type RedisRole = 'command' | 'worker';

/**
 * Opens an ioredis client that reconnects forever: a Redis restart must
 * not take a service down (SPEC §3 "Nothing lost"). Workers need
 * `maxRetriesPerRequest: null` for their blocking commands. A service
 * passes its `RedisOutage`, which logs an outage once for all of its
 * connections; without one, connection errors are not logged.
 * `commandTimeoutMs`: how long a reply is waited for (none: as long as
 * it takes); past it the command fails (isRedisTimeout).
 */
export function createRedis(
  url: string,
  role: RedisRole = 'command',
  outage?: RedisOutage,
  commandTimeoutMs?: number,
): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 20,
    commandTimeout: commandTimeoutMs,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  });
  // Without a listener ioredis prints a stack for every reconnect attempt.
  redis.on('error', () => {});
  outage?.watch(redis, role);
  return redis;
}

/**
 * How long `/readyz` waits for Redis's PONG. The probes of k8s/base wait
 * longer than this and S3_READY_TIMEOUT_MS together (test/deploy).
 */
export const REDIS_READY_TIMEOUT_MS = 2_000;

/**
 * Whether Redis answers a PING within `timeoutMs`, for `/readyz`: a
 * command waiting out an outage in ioredis's queue would otherwise hold
 * the probe until Redis is back, and a probe that never answers tells a
 * balancer less than a prompt 503.
 */
export async function redisAnswers(
  redis: Redis,
  timeoutMs = REDIS_READY_TIMEOUT_MS,
): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => {
    setTimeout(resolve, timeoutMs, false).unref();
  });
  const answer = redis.ping().then(
    (reply) => reply === 'PONG',
    () => false,
  );
  return Promise.race([answer, timeout]);
}

/** What `/readyz` says of Redis; `reason` when it is not ready. */
export interface RedisReadiness {
  ready: boolean;
  reason?: string;
}

/**
 * Redis as `/readyz` sees it: it answers a PING, and it has room for
 * writes. A full Redis (maxmemory under `noeviction`) answers every
 * write with an OOM error, so no service can take work then. Both
 * asks share one `timeoutMs`, which the k8s probes' timeouts count on.
 * Where Redis's memory cannot be read (INFO refused), it counts as
 * having room.
 */
export async function redisReadiness(
  redis: Redis,
  timeoutMs = REDIS_READY_TIMEOUT_MS,
): Promise<RedisReadiness> {
  const unreachable = { ready: false, reason: 'redis unreachable' };
  const timeout = new Promise<RedisReadiness>((resolve) => {
    setTimeout(resolve, timeoutMs, unreachable).unref();
  });
  const probe = (async (): Promise<RedisReadiness> => {
    const pong = await redis.ping().catch((err: unknown) => err);
    // It answers, but refuses even PING while it cannot write its disk.
    if (isRedisDiskError(pong)) return { ready: false, reason: REDIS_DISK_ERROR };
    if (pong !== 'PONG') return unreachable;
    if (await redisIsFull(redis)) return { ready: false, reason: REDIS_FULL };
    return { ready: true };
  })();
  return Promise.race([probe, timeout]);
}
