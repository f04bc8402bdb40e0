import type { Track, Upload } from '@ingest/core';
import type { Redis } from 'ioredis';
import * as codec from './codec';
import { keys } from './keys';
import { PUBLISH_TRACK } from './scripts';
import { siteCountKeys } from './site-usage-scripts';
import type { MoveResult } from './state-store';
import { SOURCES_REMOVED } from './track-sources';

interface Scripts {
  publishTrack(...args: (string | number)[]): Promise<[number, string, string[]]>;
  noteFiles(...args: string[]): Promise<number>;
}

/**
 * KEYS: upload, uploadFiles. ARGV: storage keys. Notes the keys while
 * the upload is not finished (published or errored: its noted keys were
 * taken then, and nothing takes them again). Returns 1 when noted.
 */
const NOTE_FILES = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'published' or status == 'error' then return 0 end
redis.call('SADD', KEYS[2], unpack(ARGV))
return 1
`;

/**
 * Publishes an upload's track: its record saved and the upload marked
 * published in one step; keeps the storage keys its runs store under
 * until then, so that the files of a run that died go too. Shares the
 * StateStore's Redis client and keys.
 */
export class TrackPublisher {
  private readonly redis: Redis & Scripts;

  constructor(redis: Redis) {
    redis.defineCommand('publishTrack', { numberOfKeys: 8, lua: PUBLISH_TRACK });
    redis.defineCommand('noteFiles', { numberOfKeys: 2, lua: NOTE_FILES });
    this.redis = redis as Redis & Scripts;
  }

  /**
   * Notes that the upload's sources were removed (it errored, or its
   * track was deleted), so a recount does not look for them.
   */
  async sourcesRemoved(uploadId: number): Promise<void> {
    await this.redis.hset(keys.upload(uploadId), SOURCES_REMOVED, new Date().toISOString());
  }

  /**
   * Notes keys a run of the upload is about to store files under; false,
   * noting nothing, once the upload is finished (or gone): a late run
   * then stores nothing, as files it stored would be noted for good.
   */
  async noteFiles(uploadId: number, storageKeys: string[]): Promise<boolean> {
    if (storageKeys.length === 0) return true;
    const noted = await this.redis.noteFiles(
      keys.upload(uploadId),
      keys.uploadFiles(uploadId),
      ...storageKeys,
    );
    return noted === 1;
  }

  /**
   * Saves `track` and publishes `upload` with it, unless the upload is
   * published or errored already (another run of it finished first, and
   * its track may have been deleted since): then `moved` is false and
   * nothing changed. `unused`: keys noted for the upload that no track
   * names, the caller's to remove (its own too when not moved). The
   * track's renditions are counted as the site's stored bytes in the
   * same step, and the run's quota reservation `runId`, if any, is
   * given back in it, moved or not.
   */
  async publish(
    upload: Pick<Upload, 'id' | 'jobId' | 'siteId'>,
    track: Track,
    runId = '',
  ): Promise<MoveResult & { unused: string[] }> {
    const [moved, jobState, noted] = await this.redis.publishTrack(
      keys.upload(upload.id),
      keys.job(upload.jobId),
      keys.track(track.id),
      keys.uploadFiles(upload.id),
      ...siteCountKeys(upload.siteId),
      new Date().toISOString(),
      track.id,
      runId,
      ...Object.entries(codec.encodeTrack(track)).flat(),
    );
    const own = Object.values(track.renditions).map((r) => r.storageKey);
    const named = new Set(moved === 1 ? own : []);
    const unused = [...new Set([...noted, ...own])].filter((k) => !named.has(k));
    return {
      moved: moved === 1,
      jobState: jobState as MoveResult['jobState'],
      unused,
    };
  }

  /** Takes the keys noted for a finished (errored) upload, to remove. */
  async takeFiles(uploadId: number): Promise<string[]> {
    const key = keys.uploadFiles(uploadId);
    const noted = await this.redis.smembers(key);
    if (noted.length > 0) await this.redis.srem(key, ...noted);
    return noted;
  }
}
