import { createHash, randomUUID } from 'node:crypto';
import type { QueuePayloads } from '@ingest/queue';
import { keys } from '@ingest/state';
import type { Redis } from 'ioredis';
import type { DeliveryJobs } from './delivery-jobs';

/**
 * How often a site's contact address is emailed about webhooks that gave
 * up: once per this window at most, ms (one hour).
 */
export const CONTACT_WINDOW_MS = 60 * 60_000;

/**
 * Opens a window (its id in `KEYS[1]`) if none is open: the give-up is
 * emailed now. Otherwise holds the job id for the window's digest and
 * answers the window's id and what is left of it.
 */
const NOTE_GIVE_UP = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {'send'}
end
redis.call('SADD', KEYS[2], ARGV[3])
return {'held', redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}`;

/**
 * A digest's first run takes what is held (renamed to its own key, so
 * its retries list the same jobs) and opens the next window; its
 * retries read that key again.
 */
const TAKE_HELD = `
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
end
return redis.call('SMEMBERS', KEYS[2])`;

/** Where a give-up came from: the job, its event and its site. */
export interface GiveUp {
  siteId: number;
  to: string;
  jobId: number;
  eventId: string;
  requestId?: string;
}

/**
 * Caps the emails a site's contact gets about webhooks that gave up: a
 * dead receiver with a thousand jobs gave up a thousand times, one email
 * each. The first give-up is emailed at once and opens a window of
 * `windowMs` per site and address; give-ups within it are held and
 * listed in one digest email when it ends, which opens the next window.
 * Every give-up is told (SPEC §4), at most about once an hour.
 */
export class ContactNotices {
  constructor(
    private readonly redis: Redis,
    private readonly jobs: DeliveryJobs,
    readonly windowMs = CONTACT_WINDOW_MS,
  ) {}

  /** Emails the contact now, or holds the give-up for the digest. */
  async gaveUp(giveUp: GiveUp): Promise<'sent' | 'held'> {
    const { siteId, to, jobId, eventId, requestId } = giveUp;
    const toHash = hashOf(to);
    const [found, windowId, leftMs] = (await this.redis.eval(
      NOTE_GIVE_UP,
      2,
      keys.contactWindow(siteId, toHash),
      keys.contactHeld(siteId, toHash),
      randomUUID(),
      this.windowMs,
      jobId,
    )) as [string, string?, number?];
    if (found === 'send') {
      await this.jobs.email({
        jobId,
        eventId,
        to,
        reason: 'webhook-exhausted',
        requestId,
      });
      return 'sent';
    }
    // One digest per window, whoever holds first adds it; a repeat adds
    // nothing (its id is the window's).
    await this.jobs.email(
      {
        jobId,
        eventId: `digest-${windowId}`,
        to,
        reason: 'webhook-digest',
        requestId,
      },
      Math.max(0, leftMs ?? 0),
    );
    return 'held';
  }

  /** The job ids a digest lists, the same on each of its runs. */
  async held(siteId: number, digest: QueuePayloads['email']) {
    const toHash = hashOf(digest.to);
    const ids = (await this.redis.eval(
      TAKE_HELD,
      3,
      keys.contactHeld(siteId, toHash),
      keys.contactDigest(siteId, toHash, digest.eventId),
      keys.contactWindow(siteId, toHash),
      randomUUID(),
      this.windowMs,
    )) as string[];
    return ids.map(Number).sort((a, b) => a - b);
  }

  /** Forgets what a digest listed, once it is sent or given up. */
  async done(siteId: number, digest: QueuePayloads['email']) {
    const toHash = hashOf(digest.to);
    await this.redis.del(keys.contactDigest(siteId, toHash, digest.eventId));
  }
}

/** Addresses never show in Redis keys. */
function hashOf(to: string): string {
  return createHash('sha256').update(to.toLowerCase()).digest('hex').slice(0, 16);
}
