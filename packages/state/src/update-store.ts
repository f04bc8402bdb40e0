import type {
  OutputFormat,
  Track,
  TrackUpdate,
  UploadStatus,
} from '@ingest/core';
import type { Redis } from 'ioredis';
import * as codec from './codec';
import { keys } from './keys';
import { ERROR_UNPATCHED, PATCH_TRACK } from './patch-track-script';
import { DROP_WAITING, MOVE_IMMEDIATE, MOVE_UPLOAD } from './scripts';
import { siteCountKeys } from './site-usage-scripts';
import { SOURCES_REMOVED } from './track-sources';
import { ADD_UPDATE } from './update-add-script';

/** KEYS: update. ARGV: to-status, now, fields as k,v,… See MOVE_IMMEDIATE. */
const MOVE_UPDATE_IMMEDIATE = MOVE_IMMEDIATE + `
return moveImmediate(KEYS[1], ARGV[1], {unpack(ARGV, 3)})
`;

/**
 * KEYS: update. ARGV: fields as k,v,… Errors an immediate update that
 * no run took yet (still queued). Returns 1 when it did, else 0.
 */
const ERROR_UNSTARTED = `
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'error', unpack(ARGV))
return 1
`;

interface Scripts {
  addUpdate(...args: (string | number)[]): Promise<string>;
  moveUpdate(...args: (string | number)[]): Promise<[number, string]>;
  moveImmediate(...args: (string | number)[]): Promise<number>;
  errorUnstarted(...args: (string | number)[]): Promise<number>;
  dropWaitingUpdate(...args: (string | number)[]): Promise<string[]>;
  patchTrack(...args: (string | number)[]): Promise<string>;
  errorUnpatched(...args: (string | number)[]): Promise<[number, string]>;
}

/** How many of a track's updates getById shows: the latest. */
export const TRACK_UPDATES_KEPT = 20;

export type NewTrackUpdate = Omit<TrackUpdate, 'id' | 'status' | 'createdAt'>;

/** The track's fields an update rewrites, compared before each write. */
const PATCHED = ['renditions', 'meta', 'metaVersions'] as const;

/** A run's INGEST_SITE_QUOTA share, for UpdateStore.patchTrack. */
export interface PatchQuota {
  /** The run's hold (SiteReservations), given back by the patch. */
  runId?: string;
  quotaBytes?: number;
  /** Bytes of the track's renditions its hold counted as freed. */
  creditBytes?: number;
}

/** What UpdateStore.patchTrack came to. */
export type TrackPatchResult = 'ok' | 'changed' | 'missing' | 'quota' | 'finished';

/** A track as read for a compare-and-set (see UpdateStore.patchTrack). */
export interface TrackRead {
  track: Track;
  /** The raw PATCHED fields as read. */
  seen: string[];
}

export type DropUpdateResult =
  | { dropped: true; sources: TrackUpdate['sources'][string][] }
  | { dropped: false; status: UploadStatus | 'missing' };

const now = () => new Date().toISOString();

/**
 * Updates of published tracks (`upload` with `track_id`): their own id
 * sequence, the job they wait in, their status moves, and the change
 * of the track they are applied to. Shares the StateStore's Redis.
 */
export class UpdateStore {
  private readonly redis: Redis & Scripts;

  constructor(redis: Redis) {
    redis.defineCommand('addUpdate', { numberOfKeys: 5, lua: ADD_UPDATE });
    redis.defineCommand('moveUpdate', { numberOfKeys: 2, lua: MOVE_UPLOAD });
    redis.defineCommand('moveImmediate', {
      numberOfKeys: 1,
      lua: MOVE_UPDATE_IMMEDIATE,
    });
    redis.defineCommand('errorUnstarted', {
      numberOfKeys: 1,
      lua: ERROR_UNSTARTED,
    });
    redis.defineCommand('errorUnpatched', {
      numberOfKeys: 3,
      lua: ERROR_UNPATCHED,
    });
    redis.defineCommand('dropWaitingUpdate', {
      numberOfKeys: 4,
      lua: DROP_WAITING,
    });
    redis.defineCommand('patchTrack', { numberOfKeys: 6, lua: PATCH_TRACK });
    this.redis = redis as Redis & Scripts;
  }

  /**
   * Stores an update: in its job (waiting, counted in q) or, when
   * immediate, queued at once; either way listed among its track's
   * updates, all of them: the delete of the track removes the sources of
   * each (TrackDeleter.keptSources). 'closed' when the job was
   * published, 'missing' when the track was deleted.
   */
  async add(input: NewTrackUpdate): Promise<TrackUpdate | 'closed' | 'missing'> {
    const update: TrackUpdate = {
      ...input,
      id: await this.redis.hincrby(keys.seq(), 'update', 1),
      status: input.immediate ? 'queued' : 'uploaded',
      createdAt: now(),
    };
    const inJob = update.immediate
      ? ['', '']
      : [keys.job(update.jobId), keys.jobUpdates(update.jobId)];
    const result = await this.redis.addUpdate(
      keys.track(update.trackId),
      keys.trackUpdates(update.trackId),
      keys.update(update.id),
      ...inJob,
      update.id,
      ...Object.entries(encodeUpdate(update)).flat(),
    );
    if (result === 'missing' || result === 'closed') return result;
    return update;
  }

  /** The latest updates of a track (TRACK_UPDATES_KEPT), oldest first. */
  async ofTrack(trackId: number): Promise<TrackUpdate[]> {
    const key = keys.trackUpdates(trackId);
    const ids = await this.redis.zrange(key, -TRACK_UPDATES_KEPT, -1);
    return this.many(ids.map(Number));
  }

  /** Notes that the update's sources were removed (its track is gone). */
  async sourcesRemoved(id: number): Promise<void> {
    await this.redis.hset(keys.update(id), SOURCES_REMOVED, now());
  }

  async byId(id: number): Promise<TrackUpdate | undefined> {
    const hash = await this.redis.hgetall(keys.update(id));
    return hash.id ? decodeUpdate(hash) : undefined;
  }

  /** An update of this site; another site's is simply not found. */
  async get(siteId: number, id: number): Promise<TrackUpdate | undefined> {
    const update = await this.byId(id);
    return update && update.siteId === siteId ? update : undefined;
  }

  async many(ids: number[]): Promise<TrackUpdate[]> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.update(id));
    const results = (await pipeline.exec()) ?? [];
    return results
      .map(([, hash]) => hash as Record<string, string>)
      .filter((hash) => hash && hash.id)
      .map(decodeUpdate);
  }

  /** Ids of the updates that wait in (or were published with) a job. */
  async idsOf(jobId: number): Promise<number[]> {
    const ids = await this.redis.zrange(keys.jobUpdates(jobId), 0, -1);
    return ids.map(Number);
  }

  /**
   * Moves an update's status; a job's update moves its job's counters
   * (and completes the job) exactly as an upload does.
   */
  async move(
    update: Pick<TrackUpdate, 'id' | 'jobId'>,
    to: UploadStatus,
    fields: Record<string, string> = {},
  ): Promise<{ moved: boolean; jobState: string }> {
    const extra = Object.entries(fields).flat();
    if (!update.jobId) {
      const moved = await this.redis.moveImmediate(
        keys.update(update.id),
        to,
        now(),
        ...extra,
      );
      return { moved: moved === 1, jobState: '' };
    }
    const [moved, jobState] = await this.redis.moveUpdate(
      keys.update(update.id),
      keys.job(update.jobId),
      to,
      now(),
      ...extra,
    );
    return { moved: moved === 1, jobState };
  }

  /**
   * Marks an applied update published, with the formats whose files it
   * dropped because a newer update had replaced them (none: omitted).
   */
  published(
    update: Pick<TrackUpdate, 'id' | 'jobId'>,
    superseded: OutputFormat[],
  ): Promise<{ moved: boolean; jobState: string }> {
    const fields: Record<string, string> = superseded.length
      ? { superseded: JSON.stringify(superseded) }
      : {};
    return this.move(update, 'published', fields);
  }

  /**
   * Moves the update to 'error' with `fields`, only while its track is
   * as `read` found it (or, `read` undefined, still gone): 'changed'
   * otherwise, and nothing moves. A run's patch of the track
   * (patchTrack) lands either before it, and the caller reads the track
   * again, or after it, and is refused ('finished'): an update never
   * ends errored with its renditions in the track.
   */
  async errorUnpatched(
    update: Pick<TrackUpdate, 'id' | 'jobId' | 'trackId'>,
    read: TrackRead | undefined,
    fields: Record<string, string>,
  ): Promise<{ moved: boolean; jobState: string } | 'changed'> {
    const seen = read
      ? PATCHED.flatMap((field, i) => [field, read.seen[i]])
      : [];
    const [moved, jobState] = await this.redis.errorUnpatched(
      keys.update(update.id),
      update.jobId ? keys.job(update.jobId) : '',
      keys.track(update.trackId),
      now(),
      seen.length / 2,
      ...seen,
      ...Object.entries(fields).flat(),
    );
    if (moved < 0) return 'changed';
    return { moved: moved === 1, jobState };
  }

  /**
   * Errors an immediate update with `fields` while no run has taken it
   * (it is still `queued`): one whose transcode job could not be queued
   * would otherwise wait for ever. False when a run took it or it
   * ended: a job exists after all, and the run settles it.
   */
  async errorUnstarted(
    id: number,
    fields: Record<string, string>,
  ): Promise<boolean> {
    const args = Object.entries(fields).flat();
    return (await this.redis.errorUnstarted(keys.update(id), ...args)) === 1;
  }

  /**
   * Drops an update that still waits, with its autopublish mark; says
   * why not otherwise.
   */
  async dropWaiting(
    update: Pick<TrackUpdate, 'id' | 'jobId'>,
  ): Promise<DropUpdateResult> {
    const [outcome, sources] = await this.redis.dropWaitingUpdate(
      keys.job(update.jobId),
      keys.jobUpdates(update.jobId),
      keys.update(update.id),
      keys.jobAutopublish(update.jobId),
      update.id,
      `update:${update.id}`,
    );
    if (outcome !== 'dropped') {
      return { dropped: false, status: outcome as UploadStatus | 'missing' };
    }
    return { dropped: true, sources: Object.values(JSON.parse(sources)) };
  }

  /**
   * The track as it is now, with what a later `patchTrack` must still
   * find to go ahead. Undefined when the track is gone.
   */
  async readTrack(trackId: number): Promise<TrackRead | undefined> {
    const hash = await this.redis.hgetall(keys.track(trackId));
    if (!hash.id) return undefined;
    const seen = PATCHED.map((field) => hash[field] ?? '');
    return { track: codec.decodeTrack(hash), seen };
  }

  /** Whether the track still is as `read` found it. */
  async unchangedSince(read: TrackRead): Promise<boolean> {
    const now = await this.redis.hmget(
      keys.track(read.track.id),
      ...PATCHED,
    );
    return now.every((value, i) => (value ?? '') === read.seen[i]);
  }

  /**
   * Rewrites the track's renditions and meta, atomically, only if no
   * one changed them since `read`: 'changed' asks the caller to read
   * again and redo its work; 'missing' when the track is gone. The
   * site's stored bytes (INGEST_SITE_QUOTA) follow the renditions in
   * the same step, which gives the run's hold (`quota.runId`) back; a
   * run whose hold counted the renditions it replaces as freed
   * (`quota.creditBytes`) gets 'quota' when the step would take the site
   * past its quota after all (they were replaced meanwhile). With
   * `updateId`, 'finished' when that update is gone, published or
   * errored: nothing changes, as an upload's publish does not then.
   */
  async patchTrack(
    read: TrackRead,
    next: Pick<Track, 'renditions' | 'meta' | 'metaVersions'>,
    quota: PatchQuota = {},
    updateId?: number,
  ): Promise<TrackPatchResult> {
    const encoded = codec.encodeTrack({ ...read.track, ...next });
    const result = await this.redis.patchTrack(
      keys.track(read.track.id),
      ...siteCountKeys(read.track.siteId),
      updateId ? keys.update(updateId) : '',
      quota.runId ?? '',
      quota.quotaBytes ? String(quota.quotaBytes) : '',
      String(quota.creditBytes ?? 0),
      String(Date.now()),
      ...PATCHED.flatMap((field, i) => [field, read.seen[i], encoded[field]]),
    );
    return result as TrackPatchResult;
  }
}

function encodeUpdate(update: TrackUpdate): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    id: String(update.id),
    siteId: String(update.siteId),
    trackId: String(update.trackId),
    uploadId: String(update.uploadId),
    jobId: String(update.jobId),
    immediate: update.immediate ? '1' : '0',
    status: update.status,
    formats: JSON.stringify(update.formats),
    sources: JSON.stringify(update.sources),
    meta: update.meta ? JSON.stringify(update.meta) : undefined,
    createdAt: update.createdAt,
    superseded: update.superseded?.length
      ? JSON.stringify(update.superseded)
      : undefined,
  };
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
}

function decodeUpdate(h: Record<string, string>): TrackUpdate {
  return {
    id: Number(h.id),
    siteId: Number(h.siteId),
    trackId: Number(h.trackId),
    uploadId: Number(h.uploadId),
    jobId: Number(h.jobId ?? 0),
    immediate: h.immediate === '1',
    status: (h.status ?? 'uploaded') as UploadStatus,
    formats: JSON.parse(h.formats ?? '[]'),
    sources: JSON.parse(h.sources ?? '{}'),
    meta: h.meta ? JSON.parse(h.meta) : undefined,
    createdAt: h.createdAt ?? '',
    superseded: h.superseded ? JSON.parse(h.superseded) : undefined,
    error: h.error || undefined,
    errorCode: h.errorCode || undefined,
  };
}
