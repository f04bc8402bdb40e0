import { keys } from '@ingest/state';
import type { Redis } from 'ioredis';

/** Job-completion emails a site sends in any hour, by default. */
export const EMAILS_PER_SITE_HOUR = 100;

/** The span the pace counts in, ms (an hour). */
export const PACE_WINDOW_MS = 60 * 60_000;

/**
 * Gives the email `ARGV[1]` a time to be sent (kept: asked again, the
 * same one): now, unless `ARGV[3]` emails already have a time within a
 * window (`ARGV[2]` ms) of it; then a window after the `ARGV[3]`-th
 * latest. Times are Redis's own, so every notifier agrees; those a
 * window past no longer count and are dropped. Answers the time and now.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local kept = redis.call('ZSCORE', KEYS[1], ARGV[1])
if kept then return {tonumber(kept), now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local limit = tonumber(ARGV[3])
local at = now
local nth = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
if nth[2] then at = math.max(now, tonumber(nth[2]) + window) end
redis.call('ZADD', KEYS[1], at, ARGV[1])
redis.call('PEXPIRE', KEYS[1], string.format('%d', at - now + window))
return {at, now}`;

/**
 * Paces the emails a site's jobs send to addresses its client chose
 * (`oncomplete`, a createJob `email`): a client could otherwise have
 * the service mail any address as often as it completes jobs. At most
 * `perWindow` of a site's emails go out in any window; the others wait
 * as delayed queue jobs for their turn, in order, and are never dropped.
 * Each site has its own count, so one site's flood delays no other's.
 */
export class EmailPace {
  constructor(
    private readonly redis: Redis,
    readonly perWindow = EMAILS_PER_SITE_HOUR,
    readonly windowMs = PACE_WINDOW_MS,
  ) {}

  /**
   * How long the email (its queue job id) must wait, ms; 0: none. The
   * same email asked again keeps its turn, so a completion that runs
   * twice takes one.
   */
  async delayOf(siteId: number, emailId: string): Promise<number> {
    const [at, now] = (await this.redis.eval(
      RESERVE,
      1,
      keys.emailPace(siteId),
      emailId,
      this.windowMs,
      this.perWindow,
    )) as [number, number];
    return Math.max(0, at - now);
  }
}
