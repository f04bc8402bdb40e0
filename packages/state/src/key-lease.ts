import type { Redis } from 'ioredis';

/**
 * How long a key held by a running request lives without renewal. The
 * holder renews it every third of this, so a key whose gateway died is
 * free again within one lease, not after the longest a request may run.
 */
export const HOLDER_LEASE_MS = 30_000;

/**
 * KEYS: the key. ARGV: its value, lease ms. Renews it if still held, and
 * takes it again if it lapsed while Redis was away (stopped, restarted
 * past the lease): the holder still runs, so the key is still its. Only
 * a key another holder took since is left alone. Returns 1 when held.
 */
const RENEW = `
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if not held then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

/** A key's lease, renewed in the background until `stop()`. */
export interface KeyLease {
  stop(): void;
}

/**
 * Keeps `key` holding `value`: one renewal every third of `leaseMs`. A
 * renewal sent while Redis is away waits in the client's queue and runs
 * first when Redis answers again, so a lease that lapsed meanwhile is
 * taken back before another caller can take it. Renewal failures are
 * left to the next tick; the timer never keeps the process alive.
 */
export function keepLease(
  redis: Redis,
  key: string,
  value: string,
  leaseMs: number,
): KeyLease {
  const timer = setInterval(() => {
    redis.eval(RENEW, 1, key, value, leaseMs).catch(() => undefined);
  }, Math.max(1, Math.floor(leaseMs / 3)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
