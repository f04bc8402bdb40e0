import type { Redis } from 'ioredis';
import { keys } from './keys';

/**
 * The bytes each site holds in storage (sources and renditions), for
 * INGEST_SITE_QUOTA. Each stored key is counted by name, so recording a
 * file twice (a job run again) or forgetting it twice (two deletes that
 * race) changes the total once.
 */
export class SiteUsage {
  constructor(private readonly redis: Redis) {}

  /** Counts `storageKey` as `bytes` of the site's (replacing its size). */
  async stored(siteId: number, storageKey: string, bytes: number): Promise<void> {
    await this.redis.eval(
      RECORD,
      2,
      keys.siteStored(siteId),
      keys.siteStoredTotal(siteId),
      storageKey,
      String(Math.max(0, Math.round(bytes))),
    );
  }

  /** Stops counting `storageKey`: its file was removed. */
  async removed(siteId: number, storageKey: string): Promise<void> {
    await this.redis.eval(
      FORGET,
      2,
      keys.siteStored(siteId),
      keys.siteStoredTotal(siteId),
      storageKey,
    );
  }

  /**
   * The sites whose stored files are counted: those a file whose record
   * (which said whose it was) is gone may be counted against.
   */
  async sites(): Promise<number[]> {
    const [before, after] = keys.siteStored(0).split(':0:');
    const ids: number[] = [];
    const match = `${before}:*:${after}`;
    const stream = this.redis.scanStream({ match, count: 1000 });
    for await (const found of stream as AsyncIterable<string[]>) {
      for (const key of found) {
        const id = key.slice(before.length + 1, -(after.length + 1));
        if (/^[1-9]\d*$/.test(id) && keys.siteStored(Number(id)) === key) {
          ids.push(Number(id));
        }
      }
    }
    return [...new Set(ids)].sort((a, b) => a - b);
  }

  /** Bytes the site holds now. */
  async total(siteId: number): Promise<number> {
    return Number((await this.redis.get(keys.siteStoredTotal(siteId))) ?? 0);
  }
}

const RECORD = `
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('INCRBY', KEYS[2], tonumber(ARGV[2]) - old)
`;

const FORGET = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return redis.call('DECRBY', KEYS[2], tonumber(old))
`;
