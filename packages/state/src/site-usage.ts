import type { Redis } from 'ioredis';
import { keys } from './keys';
import { COUNT_FILES } from './site-usage-scripts';
import { writeUnderWatch } from './watched-write';

/** What `recount` changed: the site's bytes before and after. */
export interface Recount {
  beforeBytes: number;
  afterBytes: number;
  files: number;
}

/**
 * The bytes each site holds in storage (sources and renditions), for
 * INGEST_SITE_QUOTA. Each stored key is counted by name, so recording a
 * file twice (a job run again) or forgetting it twice (two deletes that
 * race) changes the total once. Renditions are counted by the steps that
 * record them in a track (site-usage-scripts.ts); sources here.
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

  /**
   * Removes a counted file: stops counting it first, then `removeFile`
   * removes it from storage; when that fails it is counted again (as far
   * as Redis takes it) and the error thrown. A Redis that refuses the
   * uncount (its disk full, an outage) thus leaves the file stored and
   * counted, never removed yet counted, which held the site at its
   * quota for files it no longer had until a recount. A crash between
   * the two leaves the file uncounted: the sweep removes it where no
   * record names it, a recount counts it again where one does.
   */
  async remove(
    siteId: number,
    storageKey: string,
    removeFile: () => Promise<void>,
  ): Promise<void> {
    const counted = (await this.redis.eval(
      TAKE,
      2,
      keys.siteStored(siteId),
      keys.siteStoredTotal(siteId),
      storageKey,
    )) as string | null;
    try {
      await removeFile();
    } catch (err) {
      if (counted !== null) {
        await this.stored(siteId, storageKey, Number(counted)).catch(() => {});
      }
      throw err;
    }
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

  /** The storage keys counted for the site now. */
  counted(siteId: number): Promise<string[]> {
    return this.redis.hkeys(keys.siteStored(siteId));
  }

  /** Files counted for the site now. */
  files(siteId: number): Promise<number> {
    return this.redis.hlen(keys.siteStored(siteId));
  }

  /**
   * Counts the site anew as the files `list` finds (storage key to
   * bytes), in place of what was counted. Taken only if no count of the
   * site changed while `list` ran (a file stored or removed meanwhile):
   * then `list` runs again, up to `attempts` times; undefined when every
   * attempt met a change. Needs a Redis client of its own (WATCH).
   */
  async recount(
    siteId: number,
    list: () => Promise<Map<string, number>>,
    attempts = 5,
  ): Promise<Recount | undefined> {
    const storedKey = keys.siteStored(siteId);
    const totalKey = keys.siteStoredTotal(siteId);
    return writeUnderWatch(
      this.redis,
      [storedKey, totalKey],
      async () => {
        const beforeBytes = await this.total(siteId);
        const files = await list();
        let afterBytes = 0;
        const transaction = this.redis.multi().del(storedKey);
        for (const [key, bytes] of files) {
          transaction.hset(storedKey, key, String(bytes));
          afterBytes += bytes;
        }
        transaction.set(totalKey, String(afterBytes));
        return { transaction, result: { beforeBytes, afterBytes, files: files.size } };
      },
      attempts,
    );
  }
}

const RECORD =
  COUNT_FILES +
  `return countFile(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))`;

const FORGET = COUNT_FILES + `return forgetFile(KEYS[1], KEYS[2], ARGV[1])`;

/** Forgets a key as FORGET does; answers the bytes it was counted as. */
const TAKE =
  COUNT_FILES +
  `local old = redis.call('HGET', KEYS[1], ARGV[1])
forgetFile(KEYS[1], KEYS[2], ARGV[1])
return old`;
