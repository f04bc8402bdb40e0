import type { Redis } from 'ioredis';
import { keepLease, type KeyLease } from './key-lease';
import { keys } from './keys';

/**
 * One upload per site at a time may be fetching (SPEC §2, "Serial
 * uploads"): a site's slot is a key held by one request, on a lease its
 * gateway renews, so it frees itself soon after that gateway dies.
 */
export class UploadSlots {
  constructor(private readonly redis: Redis) {}

  /**
   * Takes the site's upload slot and keeps renewing its lease; null when
   * another upload holds it. Stop the lease before releasing.
   */
  async take(
    siteId: number,
    holder: string,
    leaseMs: number,
  ): Promise<KeyLease | null> {
    const key = keys.uploadLock(siteId);
    const ok = await this.redis.set(key, holder, 'PX', leaseMs, 'NX');
    return ok === 'OK' ? keepLease(this.redis, key, holder, leaseMs) : null;
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
