import type { Redis } from 'ioredis';
import { keepLease, type KeyLease } from './key-lease';
import { keys } from './keys';

/**
 * KEYS: record. ARGV: running-record, ttl-ms.
 * Claims an Idempotency-Key: stores the running record and returns nil
 * when the key is free, or the record already held.
 */
const CLAIM_KEY = `
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;

/**
 * KEYS: record. ARGV: running-record.
 * Frees a key whose request failed, if the record is still that one:
 * its own claim's, which no other request's record equals.
 */
const RELEASE_KEY = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * KEYS: record. ARGV: running-record, unknown-record, ttl-ms.
 * Marks a key whose request may have done its work unseen (Redis did
 * not answer its write in time), if the record is still its claim's.
 */
const MARK_UNKNOWN = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`;

interface Scripts {
  claimIdempotencyKey(...args: (string | number)[]): Promise<string | null>;
  releaseIdempotencyKey(...args: (string | number)[]): Promise<number>;
  markIdempotencyUnknown(...args: (string | number)[]): Promise<number>;
}

/** What a key held when a request claimed it. */
export type IdempotencyClaim =
  | { state: 'claimed'; lease: KeyLease }
  | { state: 'running'; fingerprint: string }
  | { state: 'unknown'; fingerprint: string }
  | { state: 'done'; fingerprint: string; status: number; body: unknown };

export interface IdempotencyStoreOptions {
  /** How long a finished answer is replayed, in ms. */
  ttlMs: number;
  /**
   * The lease of a running claim, in ms: renewed while its request runs,
   * so a claim whose gateway died is free again within it.
   */
  runningLeaseMs: number;
}

interface StoredRecord {
  fingerprint: string;
  /** `unknown`: its request was cut short and may have done its work. */
  state: 'running' | 'done' | 'unknown';
  /** A running record's claim: what tells two such of one request apart. */
  claim?: string;
  status?: number;
  body?: unknown;
}

/**
 * The answers given to Idempotency-Key requests, per site, kept in Redis
 * for `ttlMs`. Keys are stored by the caller's hash, never as sent.
 */
export class IdempotencyStore {
  private readonly redis: Redis & Scripts;

  constructor(
    redis: Redis,
    private readonly options: IdempotencyStoreOptions,
  ) {
    redis.defineCommand('claimIdempotencyKey', {
      numberOfKeys: 1,
      lua: CLAIM_KEY,
    });
    redis.defineCommand('releaseIdempotencyKey', {
      numberOfKeys: 1,
      lua: RELEASE_KEY,
    });
    redis.defineCommand('markIdempotencyUnknown', {
      numberOfKeys: 1,
      lua: MARK_UNKNOWN,
    });
    this.redis = redis as Redis & Scripts;
  }

  /**
   * Claims the key for a request, or tells what holds it. `claimId`
   * names this claim (a random id per call), for `release`.
   */
  async claim(
    siteId: number,
    keyHash: string,
    fingerprint: string,
    claimId: string,
  ): Promise<IdempotencyClaim> {
    const key = keys.idempotency(siteId, keyHash);
    const record = running(fingerprint, claimId);
    const leaseMs = this.options.runningLeaseMs;
    const held = await this.redis.claimIdempotencyKey(key, record, leaseMs);
    if (held === null) {
      return {
        state: 'claimed',
        lease: keepLease(this.redis, key, record, leaseMs),
      };
    }

    const stored = JSON.parse(held) as StoredRecord;
    if (stored.state === 'running' || stored.state === 'unknown') {
      return { state: stored.state, fingerprint: stored.fingerprint };
    }
    return {
      state: 'done',
      fingerprint: stored.fingerprint,
      status: stored.status ?? 200,
      body: stored.body,
    };
  }

  /** Keeps the answer of a claimed request for later repeats. */
  async complete(
    siteId: number,
    keyHash: string,
    fingerprint: string,
    answer: { status: number; body: unknown },
  ): Promise<void> {
    const record: StoredRecord = { fingerprint, state: 'done', ...answer };
    await this.redis.set(
      keys.idempotency(siteId, keyHash),
      JSON.stringify(record),
      'PX',
      this.options.ttlMs,
    );
  }

  /**
   * Frees the key if claim `claimId` holds it, so a retry with it runs
   * again; the claim of another call (the same request sent twice: one
   * record but for its id) stays.
   */
  async release(
    siteId: number,
    keyHash: string,
    fingerprint: string,
    claimId: string,
  ): Promise<void> {
    await this.redis.releaseIdempotencyKey(
      keys.idempotency(siteId, keyHash),
      running(fingerprint, claimId),
    );
  }

  /**
   * Marks the key of claim `claimId` as of a request that may have done
   * its work unseen, for `ttlMs`: a retry with it is told so, not run
   * again. Sent on the connection that gave up on the request's write,
   * it runs after that write.
   */
  async markUnknown(
    siteId: number,
    keyHash: string,
    fingerprint: string,
    claimId: string,
  ): Promise<void> {
    const record: StoredRecord = { fingerprint, state: 'unknown' };
    await this.redis.markIdempotencyUnknown(
      keys.idempotency(siteId, keyHash),
      running(fingerprint, claimId),
      JSON.stringify(record),
      this.options.ttlMs,
    );
  }
}

function running(fingerprint: string, claimId: string): string {
  const record: StoredRecord = { fingerprint, state: 'running', claim: claimId };
  return JSON.stringify(record);
}
