import type { Redis } from 'ioredis';

/**
 * How long a key held by a running request lives without renewal. The
 * holder renews it every third of this, so a key whose gateway died is
 * free again within one lease, not after the longest a request may run.
 */
export const HOLDER_LEASE_MS = 30_000;

/** KEYS: the key. ARGV: its value, lease ms. Renews it if still held. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** A key's lease, renewed in the background until `stop()`. */
export interface KeyLease {
  stop(): void;
}

/**
 * Keeps `key` alive while it still holds `value`: one PEXPIRE every third
 * of `leaseMs`. Renewal failures (Redis away) are left to the next tick;
 * the timer never keeps the process alive.
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
