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

/** Redis's clock in ms, so that every notifier reads the same time. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Opens a window (its id in `KEYS[1]`) if none is open: the give-up is
 * emailed now. Otherwise holds the job id for the digest of the held
 * give-ups (its id in `KEYS[3]`, made by the first to hold), which is
 * noted as due at the window's end with the address it goes to; answers
 * the digest's id and what is left of the window.
 */
const NOTE_GIVE_UP = `${NOW}
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {'send'}
end
redis.call('SADD', KEYS[2], ARGV[3])
local left = math.max(0, redis.call('PTTL', KEYS[1]))
local id = redis.call('GET', KEYS[3])
if not id then
  id = ARGV[4]
  redis.call('SET', KEYS[3], id)
  local due = ARGV[5] .. ':' .. id
  redis.call('ZADD', KEYS[4], now + left, due)
  redis.call('HSET', KEYS[5], due, ARGV[6])
end
return {'held', id, left}`;

/**
 * A digest's first run takes what is held (renamed to its own key, so
 * its retries list the same jobs), opens the next window and notes the
 * digest as due again a window later, should its job be gone by then;
 * its retries read that key again. A digest that is not the one the
 * give-ups wait for (its give-ups were told) takes nothing.
 */
const TAKE_HELD = `${NOW}
if redis.call('EXISTS', KEYS[2]) == 0 then
  local id = redis.call('GET', KEYS[4])
  if id and id ~= ARGV[3] then return {} end
  redis.call('DEL', KEYS[4])
  if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
  redis.call('ZADD', KEYS[5], 'XX', now + tonumber(ARGV[2]), ARGV[4])
end
return redis.call('SMEMBERS', KEYS[2])`;

/** Forgets a digest that was sent or given up. */
const FORGET = `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])`;

/**
 * The digests due by now, at most `ARGV[2]`, each with its address; each
 * is noted as due again `ARGV[1]` ms later (until it is forgotten).
 */
const TAKE_DUE = `${NOW}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[2])
local found = {}
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), member)
  found[#found + 1] = member
  found[#found + 1] = redis.call('HGET', KEYS[2], member) or ''
end
return found`;

/** Where a give-up came from: the job, its event and its site. */
export interface GiveUp {
  siteId: number;
  to: string;
  jobId: number;
  eventId: string;
  requestId?: string;
}

/** What a digest lists: every job, and those of them that are gone. */
export interface HeldGiveUps {
  jobIds: number[];
  gone: number[];
}

/** Due digests one sweep looks at, at most. */
const SWEEP_BATCH = 100;

/**
 * Caps the emails a site's contact gets about webhooks that gave up: a
 * dead receiver with a thousand jobs gave up a thousand times, one email
 * each. The first give-up is emailed at once and opens a window of
 * `windowMs` per site and address; give-ups within it are held and
 * listed in one digest email when it ends, which opens the next window.
 * Every give-up is told (SPEC §4), at most about once an hour: a digest
 * whose email job is gone is made again by `sweep`.
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
    const [found, digestId, leftMs] = (await this.redis.eval(
      NOTE_GIVE_UP,
      5,
      keys.contactWindow(siteId, toHash),
      keys.contactHeld(siteId, toHash),
      keys.contactBatch(siteId, toHash),
      keys.contactDue(),
      keys.contactDueTo(),
      randomUUID(),
      this.windowMs,
      jobId,
      randomUUID(),
      `${siteId}:${toHash}`,
      to,
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
    // One digest job per digest id, whoever holds first adds it; a
    // repeat adds nothing. Lost, the sweep makes it again.
    await this.jobs.email(
      { ...digestJob(siteId, to, digestId as string, jobId), requestId },
      leftMs ?? 0,
    );
    return 'held';
  }

  /** The jobs a digest lists, the same on each of its runs. */
  async held(
    siteId: number,
    digest: QueuePayloads['email'],
  ): Promise<HeldGiveUps> {
    const toHash = hashOf(digest.to);
    const ids = (await this.redis.eval(
      TAKE_HELD,
      5,
      keys.contactHeld(siteId, toHash),
      keys.contactDigest(siteId, toHash, digest.eventId),
      keys.contactWindow(siteId, toHash),
      keys.contactBatch(siteId, toHash),
      keys.contactDue(),
      randomUUID(),
      this.windowMs,
      digestIdOf(digest.eventId),
      `${siteId}:${toHash}:${digestIdOf(digest.eventId)}`,
    )) as string[];
    const jobIds = ids.map(Number).sort((a, b) => a - b);
    const pipeline = this.redis.pipeline();
    for (const id of jobIds) pipeline.exists(keys.job(id));
    const found = (await pipeline.exec()) ?? [];
    const gone = jobIds.filter((_, i) => found[i]?.[1] === 0);
    return { jobIds, gone };
  }

  /**
   * The site a digest that names none (added before digests named their
   * site) tells of, when its first job is gone: the one keeping its list
   * (a run of it took the give-ups), else the first holding give-ups for
   * its address. Sites are numbered from 1, so each is looked at, in one
   * round trip; only such old digests come here.
   */
  async siteHolding(digest: QueuePayloads['email']): Promise<number | undefined> {
    const toHash = hashOf(digest.to);
    const sites = Number(await this.redis.hget(keys.seq(), 'site')) || 0;
    const pipeline = this.redis.pipeline();
    for (let id = 1; id <= sites; id++) {
      pipeline.exists(keys.contactDigest(id, toHash, digest.eventId));
      pipeline.exists(keys.contactHeld(id, toHash));
    }
    const found = ((await pipeline.exec()) ?? []).map((answer) => answer[1] === 1);
    const listed = found.findIndex((yes, i) => yes && i % 2 === 0);
    const at = listed >= 0 ? listed : found.indexOf(true);
    return at < 0 ? undefined : Math.floor(at / 2) + 1;
  }

  /** Forgets what a digest listed, once it is sent or given up. */
  async done(siteId: number, digest: QueuePayloads['email']) {
    const toHash = hashOf(digest.to);
    await this.redis.eval(
      FORGET,
      3,
      keys.contactDigest(siteId, toHash, digest.eventId),
      keys.contactDue(),
      keys.contactDueTo(),
      `${siteId}:${toHash}:${digestIdOf(digest.eventId)}`,
    );
  }

  /**
   * Sees that each digest due by now has its email job to run, so that
   * held give-ups are told even when that job was lost (removed, or
   * never added because the notifier died between holding and adding)
   * or failed before it was through (a digest that was sent or gave up
   * is no longer due). Answers how many digests it looked at.
   */
  async sweep(): Promise<number> {
    const found = (await this.redis.eval(
      TAKE_DUE,
      2,
      keys.contactDue(),
      keys.contactDueTo(),
      this.windowMs,
      SWEEP_BATCH,
    )) as string[];
    let failure: unknown;
    for (let i = 0; i < found.length; i += 2) {
      const [site, toHash, digestId] = found[i].split(':');
      const siteId = Number(site);
      const to = found[i + 1];
      // Any job it lists will do as the one its email job is filed
      // under: taken, its own key lists them; else the held ones.
      const jobId =
        (await this.redis.srandmember(
          keys.contactDigest(siteId, toHash, `digest-${digestId}`),
        )) ??
        (await this.redis.srandmember(keys.contactHeld(siteId, toHash)));
      if (!to || !jobId) continue;
      // A failure with one (another notifier retrying the same job)
      // holds up none of the others; it is told once all were seen.
      await this.jobs
        .ensureEmail(digestJob(siteId, to, digestId, Number(jobId)))
        .catch((err: unknown) => (failure ??= err));
    }
    if (failure) throw failure;
    return found.length / 2;
  }
}

function digestJob(
  siteId: number,
  to: string,
  digestId: string,
  jobId: number,
): QueuePayloads['email'] {
  return {
    jobId,
    eventId: `digest-${digestId}`,
    to,
    reason: 'webhook-digest',
    siteId,
  };
}

function digestIdOf(eventId: string): string {
  return eventId.replace(/^digest-/, '');
}

/** Addresses never show in Redis keys: a hash of each does. */
export function hashOf(to: string): string {
  return createHash('sha256').update(to.toLowerCase()).digest('hex').slice(0, 16);
}
