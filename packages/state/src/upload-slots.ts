import type { Redis } from 'ioredis';
import { keys } from './keys';

/**
 * One upload per site at a time may be fetching (SPEC §2, "Serial
 * uploads"): a site's slot is a key held by one request, with a TTL in
 * case its gateway dies holding it.
 */
export class UploadSlots {
  constructor(private readonly redis: Redis) {}

  /** Takes the site's upload slot; false when another upload holds it. */
  async take(siteId: number, holder: string, ttlMs: number): Promise<boolean> {
    const ok = await this.redis.set(
      keys.uploadLock(siteId),
      holder,
      'PX',
      ttlMs,
      'NX',
    );
    return ok === 'OK';
  }

  /** Frees the slot if `holder` still holds it. */
  async release(siteId: number, holder: string): Promise<void> {
    await this.redis.eval(
      `if redis.call('GET', KEYS[1]) == ARGV[1] then
         return redis.call('DEL', KEYS[1]) end return 0`,
      1,
      keys.uploadLock(siteId),
      holder,
    );
  }
}
