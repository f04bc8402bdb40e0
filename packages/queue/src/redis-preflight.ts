import { StartRefusal } from '@ingest/core';
import { ReplyError, type Redis } from 'ioredis';

export interface PreflightLogger {
  warn(fields: object, message: string): void;
}

/** A Redis the services must not run on, and how to fix it. */
export class PreflightError extends StartRefusal {
  override name = 'PreflightError';
}

/**
 * Refuses a Redis that may evict keys (queues and state would vanish
 * under memory pressure) and warns when a restart could lose accepted
 * work: without the append-only file, RDB snapshots alone lose what
 * came since the last one (SPEC §3 asks for `appendonly yes`).
 */
export async function checkRedis(
  redis: Redis,
  logger: PreflightLogger,
): Promise<void> {
  const policy = await configValue(redis, 'maxmemory-policy');
  if (policy && policy !== 'noeviction') {
    throw new PreflightError(
      `Redis maxmemory-policy is "${policy}"; catalog-ingest needs ` +
        '"noeviction" so that no queued job or state is dropped. Fix: ' +
        'redis-cli CONFIG SET maxmemory-policy noeviction (and set it in ' +
        'redis.conf).',
    );
  }

  const aof = await configValue(redis, 'appendonly');
  if (aof === undefined || aof === 'yes') return;
  const save = await configValue(redis, 'save');
  logger.warn(
    { appendonly: aof, save },
    save
      ? 'redis appendonly is off: a Redis restart loses what was accepted ' +
          'since the last RDB snapshot (set appendonly yes)'
      : 'redis persistence is off: a Redis restart loses every job ' +
          '(set appendonly yes)',
  );
}

async function configValue(redis: Redis, name: string) {
  try {
    const reply = (await redis.config('GET', name)) as string[];
    return reply[1];
  } catch (err) {
    // Managed Redis often forbids CONFIG (an error reply); nothing can
    // be checked then. No answer at all is no such case: starting would
    // skip the eviction check, so the start fails and is tried again.
    if (err instanceof ReplyError) return undefined;
    throw new PreflightError(
      `Redis ${name} could not be read (${(err as Error).message}); ` +
        'is REDIS_URL right and Redis up?',
    );
  }
}
