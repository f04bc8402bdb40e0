import type { Redis } from 'ioredis';
import { keys } from './keys';

/** What a run's `reserve` came to. */
export interface Reserved {
  /** Bytes now held for the run; 0 when none. */
  granted: number;
  /** Bytes the site had left: its quota less stored and others' holds. */
  left: number;
  /** Bytes other live runs of the site hold. */
  held: number;
}

/**
 * INGEST_SITE_QUOTA for transcode runs of one site at once: each run
 * takes the bytes its renditions may need out of what the site has left
 * (quota less stored bytes less what other runs hold), in one step, so
 * runs together never hold more than the site has left. The publish of
 * the run's track counts its files and gives its hold back in one step
 * (PUBLISH_TRACK); a run that fails gives it back itself, and the hold
 * of a run that died lapses when it is no longer renewed.
 */
export class SiteReservations {
  constructor(
    private readonly redis: Redis,
    /** Milliseconds since the epoch; a test moves it. */
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Holds up to `needBytes` (Infinity: all that is left) for `runId`,
   * for `ttlMs` unless renewed. Nothing is held when the site has
   * nothing left, or when it has less than needed while other runs hold
   * some: they may give theirs back, so the caller waits and asks again.
   * `creditBytes`: stored bytes the run will free as it stores its own
   * (a track update's replaced renditions), counted as left; the step
   * that records its files checks the quota itself (PATCH_TRACK).
   */
  async reserve(
    siteId: number,
    runId: string,
    needBytes: number,
    quotaBytes: number,
    ttlMs: number,
    creditBytes = 0,
  ): Promise<Reserved> {
    const need = Number.isFinite(needBytes) ? String(Math.ceil(needBytes)) : '';
    const [granted, left, held] = (await this.redis.eval(
      RESERVE,
      3,
      keys.siteReserved(siteId),
      keys.siteReservedUntil(siteId),
      keys.siteStoredTotal(siteId),
      runId,
      need,
      String(quotaBytes),
      String(this.now()),
      String(ttlMs),
      String(Math.max(0, Math.floor(creditBytes))),
    )) as number[];
    return { granted, left, held };
  }

  /** Holds `runId`'s bytes `ttlMs` longer; false when they lapsed. */
  async renew(siteId: number, runId: string, ttlMs: number): Promise<boolean> {
    const changed = await this.redis.zadd(
      keys.siteReservedUntil(siteId),
      'XX',
      'CH',
      this.now() + ttlMs,
      runId,
    );
    return Number(changed) === 1;
  }

  /** Gives `runId`'s bytes back; nothing when it holds none. */
  async release(siteId: number, runId: string): Promise<void> {
    await this.redis
      .multi()
      .hdel(keys.siteReserved(siteId), runId)
      .zrem(keys.siteReservedUntil(siteId), runId)
      .exec();
  }

  /** Bytes the site's live runs hold now. */
  async held(siteId: number): Promise<number> {
    const [reserved, lapsed] = await Promise.all([
      this.redis.hgetall(keys.siteReserved(siteId)),
      this.redis.zrangebyscore(keys.siteReservedUntil(siteId), '-inf', this.now()),
    ]);
    const gone = new Set(lapsed);
    return Object.entries(reserved)
      .filter(([runId]) => !gone.has(runId))
      .reduce((sum, [, bytes]) => sum + Number(bytes), 0);
  }
}

/**
 * KEYS: reserved, reservedUntil, storedTotal. ARGV: runId, need ('' for
 * all that is left), quota, now, ttl, credit. Drops lapsed holds (and the run's
 * own earlier one), then holds min(need, left) unless nothing is left or
 * others hold what the run would need. Returns {granted, left, held}.
 */
const RESERVE = `
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local held = 0
for _, bytes in ipairs(redis.call('HVALS', KEYS[1])) do
  held = held + tonumber(bytes)
end
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
local left = tonumber(ARGV[3]) - used - held + tonumber(ARGV[6] or '0')
local need = left
if ARGV[2] ~= '' then need = tonumber(ARGV[2]) end
if left <= 0 or (need > left and held > 0) then return {0, left, held} end
local granted = math.min(need, left)
redis.call('HSET', KEYS[1], ARGV[1], granted)
redis.call('ZADD', KEYS[2], tonumber(ARGV[4]) + tonumber(ARGV[5]), ARGV[1])
return {granted, left, held}
`;
