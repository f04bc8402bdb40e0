import { randomUUID } from 'node:crypto';
import { keys } from '@ingest/state';
import type { Redis } from 'ioredis';

/**
 * Takes a lease (`ARGV[3]`) on one of a site's webhook slots across
 * notifiers, unless `ARGV[1]` are held; each lapses `ARGV[2]` ms after
 * it was taken, Redis's clock. Answers 1 when taken, else 0.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/**
 * How long a lease on a webhook slot lasts: one POST's time limit and
 * room for a slow event loop or Redis. A lease given back too late
 * would only let a site hold one slot more for that while.
 */
export function leaseMsFor(webhookTimeoutMs: number): number {
  return webhookTimeoutMs + 30_000;
}

/**
 * A site's webhook slots counted across every notifier on one Redis:
 * SiteSlots counts those of one process, so N notifiers would give a
 * site N times its share toward its receivers. A slot is a lease that
 * lapses by itself `leaseMs` after it was taken (more than one POST's
 * time limit): the slots of a notifier that died holding them come
 * back, at the latest that much later.
 */
export class SiteLeases {
  private readonly owner = randomUUID();
  private next = 0;

  constructor(
    private readonly redis: Redis,
    /** Slots a site holds at most across notifiers. */
    readonly perSite: number,
    /** How long a lease lasts unless given back, ms. */
    readonly leaseMs: number,
  ) {}

  /** A lease's id, or undefined when the site holds all it may. */
  async take(siteId: number): Promise<string | undefined> {
    const lease = `${this.owner}:${(this.next += 1)}`;
    const taken = await this.redis.eval(
      TAKE,
      1,
      keys.webhookLeases(siteId),
      this.perSite,
      this.leaseMs,
      lease,
    );
    return taken === 1 ? lease : undefined;
  }

  /** Gives a lease back; one Redis misses lapses by itself. */
  async release(siteId: number, lease: string): Promise<void> {
    await this.redis.zrem(keys.webhookLeases(siteId), lease).catch(() => 0);
  }
}
