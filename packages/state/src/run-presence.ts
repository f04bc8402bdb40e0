import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from './keys';

/**
 * How long a run's presence lasts without renewal: well past BullMQ's
 * lock of a transcode (60 s), so that a run whose lock lapsed while it
 * still worked (its process stalled, its Redis away for a while) still
 * shows as alive, and one whose process died shows as gone within it.
 */
export const RUN_LEASE_MS = 5 * 60_000;

/** Redis's clock in ms, so transcoders' clocks need not agree. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS: runs. ARGV: member, lease ms. Renews one run's presence. */
const RENEW = NOW + `
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** KEYS: runs. Counts the runs whose presence has not lapsed. */
const ALIVE = NOW + `
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`;

/** A run's presence, renewed in the background until `leave()`. */
export interface RunHeld {
  leave(): Promise<void>;
}

/**
 * Which runs of a queue job still work: each renews its presence while
 * it runs. BullMQ's lock says only whether a run renewed in time; a job
 * failed for stalling may still have a run that goes on and finishes.
 */
export class RunPresence {
  constructor(
    private readonly redis: Redis,
    private readonly leaseMs = RUN_LEASE_MS,
  ) {}

  /** Marks a run of the job present until it leaves (or dies). */
  async enter(bullJobId: string): Promise<RunHeld> {
    const key = keys.queueJobRuns(bullJobId);
    const member = randomUUID();
    const renew = () => this.redis.eval(RENEW, 1, key, member, this.leaseMs);
    await renew();
    const timer = setInterval(() => {
      renew().catch(() => undefined);
    }, Math.max(1, Math.floor(this.leaseMs / 3)));
    timer.unref();
    return {
      leave: async () => {
        clearInterval(timer);
        await this.redis.zrem(key, member);
      },
    };
  }

  /** Whether a run of the job is present now. */
  async alive(bullJobId: string): Promise<boolean> {
    const count = await this.redis.eval(ALIVE, 1, keys.queueJobRuns(bullJobId));
    return Number(count) > 0;
  }
}
