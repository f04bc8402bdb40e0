import { isRedisRefusal } from './redis-refusal';

/**
 * The `/readyz` reason, and the log line, of a Redis that cannot write
 * its persistence files: its disk is full or failing. Redis then answers
 * every write, and PING too, with a `MISCONF` error until a write to the
 * disk works again, which it retries by itself every second.
 */
export const REDIS_DISK_ERROR = 'redis cannot write to its disk (MISCONF)';

/** What a caller is told meanwhile: 503 `not_ready`, to retry. */
export const REDIS_DISK_ERROR_ANSWER =
  'the service cannot save new work now; retry later';

/**
 * True when `err` (or an error it wraps, or a MULTI's queued command:
 * isRedisRefusal) is Redis refusing a command because it could not
 * persist: its reply starts with the `MISCONF` code, as an `OOM` reply
 * does for a full memory.
 */
export function isRedisDiskError(err: unknown): boolean {
  return isRedisRefusal(err, /^MISCONF\b/);
}
