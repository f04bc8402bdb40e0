import type { Redis } from 'ioredis';
import { waitUntil } from './wait-until';

/** Commands a held write waits in: plain writes and every script. */
const WRITES = new Set(['hset', 'hdel', 'del', 'set', 'eval', 'evalsha']);

export interface HeldWrites {
  /**
   * Settles once `count` more writes than when the hold began wait in
   * Redis: the calls that sent them have done their reads and now stand
   * still at their first write.
   */
  waitForHeld(count: number): Promise<void>;
  /** Lets the held writes run, in the order they arrived. */
  release(): Promise<void>;
}

async function heldCount(redis: Redis): Promise<number> {
  const list = (await redis.call('CLIENT', 'LIST')) as string;
  let held = 0;
  for (const line of list.split('\n')) {
    const flags = /\bflags=(\S*)/.exec(line)?.[1] ?? '';
    const cmd = /\bcmd=(\S*)/.exec(line)?.[1] ?? '';
    if (flags.includes('b') && WRITES.has(cmd)) held++;
  }
  return held;
}

/**
 * Holds every write to Redis (`CLIENT PAUSE … WRITE`) while reads go on,
 * so a test can line up calls that read, then write, at the same moment
 * with no timer: each stops at its first write until `release()`. Redis
 * lets the held clients go in the order they were held. Scripts count as
 * writes (Redis 7 holds them too), so a compare-and-set stops there as
 * well. `redis` must be a connection of the test's own.
 */
export async function holdWrites(
  redis: Redis,
  maxMs = 60_000,
): Promise<HeldWrites> {
  const before = await heldCount(redis);
  await redis.call('CLIENT', 'PAUSE', String(maxMs), 'WRITE');
  return {
    waitForHeld: async (count) => {
      let seen = 0;
      await waitUntil(
        async () => (seen = await heldCount(redis)) >= before + count,
        {
          intervalMs: 20,
          message: () => `${seen - before} of ${count} writes held`,
        },
      );
    },
    release: async () => {
      await redis.call('CLIENT', 'UNPAUSE');
    },
  };
}
