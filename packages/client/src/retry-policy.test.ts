import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_RETRY,
  isRetryable,
  parseRetryAfter,
  retryDelay,
} from './retry-policy';

describe('retry policy', () => {
  const fixed = (value: number) => ({ ...DEFAULT_RETRY, random: () => value });

  it('doubles the backoff up to the cap', () => {
    const options = { ...fixed(0), jitter: 'none' as const, maxDelayMs: 1000 };
    const delays = [0, 1, 2, 3, 4, 5].map((n) => retryDelay(n, options));
    assert.deepEqual(delays, [500, 1000, 1000, 1000, 1000, 1000]);
  });

  it('spreads the wait with full or equal jitter', () => {
    assert.equal(retryDelay(2, fixed(0)), 0);
    assert.equal(retryDelay(2, fixed(0.5)), 1000);
    const equal = { ...fixed(0), jitter: 'equal' as const };
    assert.equal(retryDelay(2, equal), 1000);
  });

  it('gives a restarting gateway time by default', () => {
    const none = { ...DEFAULT_RETRY, jitter: 'none' as const };
    let total = 0;
    for (let n = 0; n < DEFAULT_RETRY.retries; n++) total += retryDelay(n, none);
    // A supervised restart: 1 s of backoff, a few of boot, growing.
    assert.ok(total >= 20_000, `at most ${total} ms of retries`);
  });

  it('waits at least Retry-After, but no longer than the cap', () => {
    assert.equal(retryDelay(0, fixed(0), 3000), 3000);
    assert.equal(retryDelay(0, fixed(0), 60_000), DEFAULT_RETRY.maxDelayMs);
  });

  it('reads Retry-After as seconds or as a date', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });

  it('repeats only what is safe to repeat', () => {
    const status = (s: number) => ({ kind: 'status' as const, status: s });
    const network = { kind: 'network' as const, error: new Error('reset') };
    assert.equal(isRetryable(status(429), false), true);
    assert.equal(isRetryable(status(503), false), true);
    assert.equal(isRetryable(status(500), false), false);
    assert.equal(isRetryable(status(500), true), true);
    // The site's storage quota: a repeat meets the same refusal.
    assert.equal(isRetryable(status(507), true), false);
    assert.equal(isRetryable(status(507), false), false);
    assert.equal(isRetryable(status(404), true), false);
    assert.equal(isRetryable(network, true), true);
    assert.equal(isRetryable(network, false), false);
  });
});
