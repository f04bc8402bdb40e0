import type { Redis } from 'ioredis';
import { keys } from './keys';
import { SEARCH_SITE_BASE } from './search-index';
import { UNINDEX } from './search-scripts';
import { COUNT_FILES, siteCountKeys } from './site-usage-scripts';

/**
 * KEYS: track, track updates, search doc, then the site's count keys
 * (siteCountKeys). ARGV: siteId, siteBase, trackId.
 * Deletes the track record when it belongs to the site, and takes it
 * out of search in the same step, so that no search ever counts or pages
 * a deleted track, nor the site's stored bytes its renditions; 1 if
 * deleted.
 */
const DELETE_TRACK =
  UNINDEX +
  COUNT_FILES +
  `
if redis.call('HGET', KEYS[1], 'siteId') ~= ARGV[1] then return 0 end
countRenditions(KEYS[4], KEYS[5], redis.call('HGET', KEYS[1], 'renditions'), '')
redis.call('DEL', KEYS[1], KEYS[2])
unindex(KEYS[3], ARGV[2], ARGV[3])
return 1
`;

interface Scripts {
  deleteTrack(...args: (string | number)[]): Promise<number>;
}

/**
 * Removes published tracks' records and their search entries
 * (`/api/tracks/delete`). Shares the StateStore's Redis client and keys;
 * files are the caller's to clean.
 */
export class TrackDeleter {
  private readonly redis: Redis & Scripts;

  constructor(redis: Redis) {
    redis.defineCommand('deleteTrack', { numberOfKeys: 7, lua: DELETE_TRACK });
    this.redis = redis as Redis & Scripts;
  }

  /** False when there is no such track of that site (any more). */
  async delete(siteId: number, trackId: number): Promise<boolean> {
    const done = await this.redis.deleteTrack(
      keys.track(trackId),
      keys.trackUpdates(trackId),
      keys.searchDoc(trackId),
      ...siteCountKeys(siteId),
      siteId,
      SEARCH_SITE_BASE,
      trackId,
    );
    return done === 1;
  }
}
