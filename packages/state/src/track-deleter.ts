import type { Redis } from 'ioredis';
import { keys } from './keys';
import { SEARCH_SITE_BASE } from './search-index';
import { UNINDEX } from './search-scripts';
import { SiteUsage } from './site-usage';
import { COUNT_FILES, siteCountKeys } from './site-usage-scripts';
import { SOURCES_REMOVED } from './track-sources';

/**
 * KEYS: track, track updates, search doc, then the site's count keys
 * (siteCountKeys). ARGV: siteId, siteBase, trackId.
 * Deletes the track record when it belongs to the site, and takes it
 * out of search in the same step, so that no search ever counts or pages
 * a deleted track, nor the site's stored bytes its renditions. Returns
 * {uploadId, update ids} if deleted, 0 if not.
 */
const DELETE_TRACK =
  UNINDEX +
  COUNT_FILES +
  `
if redis.call('HGET', KEYS[1], 'siteId') ~= ARGV[1] then return 0 end
countRenditions(KEYS[4], KEYS[5], redis.call('HGET', KEYS[1], 'renditions'), '')
local uploadId = redis.call('HGET', KEYS[1], 'uploadId') or '0'
local updateIds = redis.call('ZRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2])
unindex(KEYS[3], ARGV[2], ARGV[3])
return {uploadId, updateIds}
`;

interface Scripts {
  deleteTrack(...args: (string | number)[]): Promise<0 | [string, string[]]>;
}

/** The records that made a deleted track: its upload and updates. */
export interface DeletedTrack {
  uploadId: number;
  updateIds: number[];
}

/** A published upload's or update's sources, still stored. */
export interface KeptSources {
  /** The record's Redis key. */
  record: string;
  siteId: number;
  storageKeys: string[];
}

/**
 * Removes published tracks' records and their search entries
 * (`/api/tracks/delete`), and says which sources of the upload and the
 * updates that made a track are still stored. Shares the StateStore's
 * Redis client and keys; files are the caller's to remove.
 */
export class TrackDeleter {
  private readonly redis: Redis & Scripts;
  private readonly usage: SiteUsage;

  constructor(redis: Redis) {
    redis.defineCommand('deleteTrack', { numberOfKeys: 7, lua: DELETE_TRACK });
    this.redis = redis as Redis & Scripts;
    this.usage = new SiteUsage(redis);
  }

  /** False when there is no such track of that site (any more). */
  async delete(siteId: number, trackId: number): Promise<DeletedTrack | false> {
    const done = await this.redis.deleteTrack(
      keys.track(trackId),
      keys.trackUpdates(trackId),
      keys.searchDoc(trackId),
      ...siteCountKeys(siteId),
      siteId,
      SEARCH_SITE_BASE,
      trackId,
    );
    if (!Array.isArray(done)) return false;
    const [uploadId, updateIds] = done;
    return { uploadId: Number(uploadId), updateIds: updateIds.map(Number) };
  }

  /**
   * The sources of the track's upload and of its published updates
   * (`made`; by default every update the track lists) that are still
   * stored. An update not yet applied keeps its own: it errors
   * `track_missing` once its track is gone, and that removes them.
   */
  async keptSources(trackId: number, made?: DeletedTrack): Promise<KeptSources[]> {
    const uploadId =
      made?.uploadId ?? Number(await this.redis.hget(keys.track(trackId), 'uploadId'));
    const updateIds =
      made?.updateIds ??
      (await this.redis.zrange(keys.trackUpdates(trackId), 0, -1)).map(Number);
    const records = [
      ...(uploadId > 0 ? [keys.upload(uploadId)] : []),
      ...updateIds.map((id) => keys.update(id)),
    ];
    const reads = this.redis.pipeline();
    for (const record of records) {
      reads.hmget(record, 'status', 'siteId', 'sources', SOURCES_REMOVED);
    }
    const kept: KeptSources[] = [];
    for (const [i, [err, fields]] of ((await reads.exec()) ?? []).entries()) {
      if (err) throw err;
      const [status, siteId, sources, removed] = fields as (string | null)[];
      if (status !== 'published' || removed || !sources) continue;
      const storageKeys = Object.values(
        JSON.parse(sources) as Record<string, { storageKey: string }>,
      ).map((source) => source.storageKey);
      kept.push({ record: records[i], siteId: Number(siteId), storageKeys });
    }
    return kept;
  }

  /**
   * Removes the files of `kept` with `removeFile`, each uncounted first
   * (SiteUsage.remove), then notes on the record (still listed) that
   * they were removed, so that no recount counts them again.
   */
  async removeSources(
    kept: KeptSources,
    removeFile: (storageKey: string) => Promise<void>,
  ): Promise<void> {
    for (const key of kept.storageKeys) {
      await this.usage.remove(kept.siteId, key, () => removeFile(key));
    }
    await this.redis.hset(kept.record, SOURCES_REMOVED, new Date().toISOString());
  }
}
