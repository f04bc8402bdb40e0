import { createHash } from 'node:crypto';
import type {
  Job,
  JobCounts,
  Site,
  Track,
  Upload,
  UploadStatus,
} from '@ingest/core';
import { isSingleAddress } from '@ingest/core';
import type { Redis } from 'ioredis';
import * as codec from './codec';
import { AutopublishMarks } from './autopublish-marks';
import { DeliveryLog } from './delivery-log';
import { keys } from './keys';
import * as lua from './scripts';
import { SourceIndex, type PatchResult, type UploadPatch } from './source-index';
import { TrackPublisher } from './track-publisher';
import { UploadSlots } from './upload-slots';
import type { AddedUpload, NewUpload } from './new-upload';

/** Tokens are kept as their SHA-256 only (SPEC §5). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface NewSite {
  name: string;
  token: string;
  webhookSecret: string;
  contactEmail?: string;
  customFields?: string[];
}

/** What a publish came to: the ids it queued, or why it was refused. */
export type PublishOutcome =
  | { queued: number[]; updates: number[] }
  | 'closed'
  | 'empty'
  | 'no_autopublish';

export type MoveResult = { moved: boolean; jobState: Job['state'] | '' };

interface Scripts {
  addUpload(...args: (string | number)[]): Promise<string>;
  publishJob(...args: (string | number)[]): Promise<[string[], string[]]>;
  moveUpload(...args: (string | number)[]): Promise<[number, string]>;
  claimTrackId(...args: (string | number)[]): Promise<number>;
  mainJob(...args: (string | number)[]): Promise<number>;
  setJobTarget(job: string, target: string): Promise<number>;
}

const now = () => new Date().toISOString();

/**
 * All durable state of the service: sites, jobs, uploads, tracks and the
 * delivery log, in Redis. Every multi-key change is one Lua script.
 */
export class StateStore {
  private readonly redis: Redis & Scripts;
  /** The completion events and their delivery attempts. */
  readonly deliveries: DeliveryLog;
  readonly autopublish: AutopublishMarks;
  readonly uploadSlots: UploadSlots;
  readonly tracks: TrackPublisher;
  private readonly patches: SourceIndex;

  constructor(redis: Redis) {
    redis.defineCommand('addUpload', { numberOfKeys: 3, lua: lua.ADD_UPLOAD });
    redis.defineCommand('publishJob', { numberOfKeys: 3, lua: lua.PUBLISH_JOB });
    redis.defineCommand('moveUpload', { numberOfKeys: 2, lua: lua.MOVE_UPLOAD });
    redis.defineCommand('claimTrackId', {
      numberOfKeys: 2,
      lua: lua.CLAIM_TRACK_ID,
    });
    redis.defineCommand('mainJob', { numberOfKeys: 3, lua: lua.MAIN_JOB });
    redis.defineCommand('setJobTarget', {
      numberOfKeys: 1,
      lua: lua.SET_ONCOMPLETE,
    });
    this.redis = redis as Redis & Scripts;
    this.deliveries = new DeliveryLog(redis);
    this.autopublish = new AutopublishMarks(redis);
    this.uploadSlots = new UploadSlots(redis);
    this.tracks = new TrackPublisher(redis);
    this.patches = new SourceIndex(redis);
  }

  private nextId(kind: 'site' | 'job' | 'upload'): Promise<number> {
    return this.redis.hincrby(keys.seq(), kind, 1);
  }

  // Sites

  async createSite(input: NewSite): Promise<Site> {
    // The contact gets mail the API never checked: the notifier's rule
    // holds here too, or its mail would be dropped unseen.
    if (input.contactEmail && !isSingleAddress(input.contactEmail)) {
      throw new Error(
        `contact email ${JSON.stringify(input.contactEmail)} is not one ` +
          'plain ASCII address',
      );
    }
    const tokenKey = keys.token(hashToken(input.token));
    const existing = await this.redis.get(tokenKey);
    if (existing) {
      const site = await this.getSite(Number(existing));
      if (site) return site;
    }

    const site: Site = {
      id: await this.nextId('site'),
      name: input.name,
      contactEmail: input.contactEmail,
      webhookSecret: input.webhookSecret,
      customFields: input.customFields ?? [],
    };
    await this.redis
      .multi()
      .hset(keys.site(site.id), codec.encodeSite(site))
      .set(tokenKey, String(site.id))
      .exec();
    return site;
  }

  /** Replaces the given fields of a site (operator tooling). */
  async updateSite(site: Site): Promise<void> {
    await this.redis.hset(keys.site(site.id), codec.encodeSite(site));
  }

  async getSite(id: number): Promise<Site | undefined> {
    const hash = await this.redis.hgetall(keys.site(id));
    return hash.id ? codec.decodeSite(hash) : undefined;
  }

  async siteByToken(token: string): Promise<Site | undefined> {
    const id = await this.redis.get(keys.token(hashToken(token)));
    return id ? this.getSite(Number(id)) : undefined;
  }

  // Jobs

  /** The site's open main job, made when there is none. */
  async mainJob(siteId: number): Promise<Job> {
    const id = await this.redis.mainJob(
      keys.site(siteId),
      keys.seq(),
      keys.siteJobs(siteId),
      siteId,
      now(),
      keys.job(0).slice(0, -1),
    );
    const job = await this.jobById(id);
    if (!job) throw new Error(`main job ${id} vanished`);
    return job;
  }

  /** A job made by createJob; `oncomplete` is set with it, in one step. */
  async createJob(
    siteId: number,
    input: { name?: string; email?: string; oncomplete?: string },
  ): Promise<Job> {
    const job: Job = {
      id: await this.nextId('job'),
      siteId,
      name: input.name ?? '',
      created: true,
      email: input.email,
      oncomplete: input.oncomplete,
      state: 'open',
      createdAt: now(),
    };
    await this.redis
      .multi()
      .hset(keys.job(job.id), codec.encodeJob(job))
      .zadd(keys.siteJobs(siteId), job.id, String(job.id))
      .exec();
    return job;
  }

  /** A job of this site; another site's job is simply not found. */
  async getJob(siteId: number, jobId: number): Promise<Job | undefined> {
    const job = await this.jobById(jobId);
    return job && job.siteId === siteId ? job : undefined;
  }

  async jobById(jobId: number): Promise<Job | undefined> {
    const hash = await this.redis.hgetall(keys.job(jobId));
    return hash.id ? codec.decodeJob(hash) : undefined;
  }

  /**
   * Sets the job's `oncomplete`; false, and nothing set, once the job is
   * complete (SET_ONCOMPLETE): no one would tell that target.
   */
  async setOncomplete(jobId: number, target: string): Promise<boolean> {
    return (await this.redis.setJobTarget(keys.job(jobId), target)) === 1;
  }

  async counts(jobId: number): Promise<JobCounts> {
    const [q, i, d, e] = await this.redis.hmget(
      keys.job(jobId),
      'q',
      'i',
      'd',
      'e',
    );
    return { q: Number(q ?? 0), i: Number(i ?? 0), d: Number(d ?? 0), e: Number(e ?? 0) };
  }

  /**
   * Closes the job and marks its uploads and track updates queued, and
   * sets `oncomplete` when given, in one step: a publish refused as
   * 'closed' or 'empty' changes nothing. Returns the ids to hand to the
   * transcoder. `idle` is the idle timer's publish: refused as
   * 'no_autopublish' when the job's autopublish uploads were all deleted
   * (README, Autopublish), checked in the same step as the publish.
   */
  async publish(
    jobId: number,
    oncomplete = '',
    idle = false,
  ): Promise<PublishOutcome> {
    try {
      const [ids, updates] = await this.redis.publishJob(
        keys.job(jobId),
        keys.jobUploads(jobId),
        keys.jobAutopublish(jobId),
        now(),
        oncomplete,
        idle ? '1' : '',
      );
      return { queued: ids.map(Number), updates: updates.map(Number) };
    } catch (err) {
      const message = (err as Error).message;
      if (message.includes('no_autopublish')) return 'no_autopublish';
      if (message.includes('closed')) return 'closed';
      if (message.includes('empty')) return 'empty';
      throw err;
    }
  }

  /** Upload ids of a job still queued (for a repeated publish). */
  async uploadIds(jobId: number): Promise<number[]> {
    const ids = await this.redis.zrange(keys.jobUploads(jobId), 0, -1);
    return ids.map(Number);
  }

  async listUploads(jobId: number): Promise<Upload[]> {
    const ids = await this.uploadIds(jobId);
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.upload(id));
    const results = (await pipeline.exec()) ?? [];
    return results
      .map(([, hash]) => hash as Record<string, string>)
      .filter((hash) => hash && hash.id)
      .map(codec.decodeUpload);
  }

  // Uploads

  /**
   * Adds an upload to an open job; 'closed' when the job is published.
   * With `uniqueSha256`, a live upload of the job with those bytes makes
   * it a duplicate of that one instead. With `checkName`, a waiting
   * upload holding its `stem` answers `sameNameAs`, and nothing is added.
   */
  async addUpload(
    siteId: number,
    jobId: number,
    input: NewUpload,
  ): Promise<Upload | 'closed'>;
  async addUpload(
    siteId: number,
    jobId: number,
    input: NewUpload,
    uniqueSha256: string,
    options?: { checkName?: boolean },
  ): Promise<AddedUpload>;
  async addUpload(
    siteId: number,
    jobId: number,
    input: NewUpload,
    uniqueSha256 = '',
    options: { checkName?: boolean } = {},
  ): Promise<AddedUpload> {
    const upload: Upload = {
      id: await this.nextId('upload'),
      siteId,
      jobId,
      status: 'uploaded',
      formats: input.formats,
      sources: input.sources,
      meta: input.meta,
      createdAt: now(),
      formatsGiven: input.formatsGiven,
      fileName: input.fileName,
      stem: input.stem,
    };
    const fields = Object.entries(codec.encodeUpload(upload)).flat();
    const result = await this.redis.addUpload(
      keys.job(jobId),
      keys.jobUploads(jobId),
      keys.upload(upload.id),
      upload.id,
      uniqueSha256,
      options.checkName ? '1' : '',
      ...fields,
    );
    const [outcome, other] = result.split(':');
    if (outcome === 'duplicate') return { duplicateOf: Number(other) };
    if (outcome === 'same_name') return { sameNameAs: Number(other) };
    return result === 'ok' ? upload : 'closed';
  }

  async getUpload(siteId: number, id: number): Promise<Upload | undefined> {
    const upload = await this.uploadById(id);
    return upload && upload.siteId === siteId ? upload : undefined;
  }

  async uploadById(id: number): Promise<Upload | undefined> {
    const hash = await this.redis.hgetall(keys.upload(id));
    return hash.id ? codec.decodeUpload(hash) : undefined;
  }

  /** `change` made to a waiting upload as it is when written (CAS). */
  patchWaiting(
    id: number,
    change: (upload: Upload) => UploadPatch,
  ): Promise<PatchResult> {
    return this.patches.patchWaiting(id, change);
  }

  /** Rewrites fields whatever the upload holds; API calls patchWaiting. */
  async updateUpload(
    id: number,
    patch: Partial<
      Pick<Upload, 'meta' | 'formats' | 'sources' | 'formatsGiven'>
    >,
  ): Promise<void> {
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(patch)) {
      fields[name] = JSON.stringify(value);
    }
    await this.redis.hset(keys.upload(id), fields);
  }

  /** Moves an upload's status (and its job's counters) atomically. */
  async moveUpload(
    upload: Pick<Upload, 'id' | 'jobId'>,
    to: UploadStatus,
    fields: Record<string, string> = {},
  ): Promise<MoveResult> {
    const [moved, jobState] = await this.redis.moveUpload(
      keys.upload(upload.id),
      keys.job(upload.jobId),
      to,
      now(),
      ...Object.entries(fields).flat(),
    );
    return { moved: moved === 1, jobState: jobState as MoveResult['jobState'] };
  }

  // Tracks: saveTrack writes one as it is; a run publishes its own by `tracks`

  /** The upload's track id, the same however often it is asked. */
  claimTrackId(uploadId: number): Promise<number> {
    return this.redis.claimTrackId(keys.upload(uploadId), keys.seq());
  }

  async saveTrack(track: Track): Promise<void> {
    await this.redis.hset(keys.track(track.id), codec.encodeTrack(track));
  }

  async getTrack(siteId: number, id: number): Promise<Track | undefined> {
    const hash = await this.redis.hgetall(keys.track(id));
    if (!hash.id) return undefined;
    const track = codec.decodeTrack(hash);
    return track.siteId === siteId ? track : undefined;
  }

  async tracksOf(ids: number[]): Promise<Track[]> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.track(id));
    const results = (await pipeline.exec()) ?? [];
    return results
      .map(([, hash]) => hash as Record<string, string>)
      .filter((hash) => hash && hash.id)
      .map(codec.decodeTrack);
  }
}
