import type { Redis } from 'ioredis';
import { keys } from './keys';

/**
 * KEYS: track. ARGV: siteId.
 * Deletes the track record when it belongs to the site; 1 if deleted.
 */
const DELETE_TRACK = `
if redis.call('HGET', KEYS[1], 'siteId') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

interface Scripts {
  deleteTrack(...args: (string | number)[]): Promise<number>;
}

/**
 * Removes published tracks' records (`/api/tracks/delete`). Shares the
 * StateStore's Redis client and keys; files and the search index are
 * the caller's to clean.
 */
export class TrackDeleter {
  private readonly redis: Redis & Scripts;

  constructor(redis: Redis) {
    redis.defineCommand('deleteTrack', { numberOfKeys: 1, lua: DELETE_TRACK });
    this.redis = redis as Redis & Scripts;
  }

  /** False when there is no such track of that site (any more). */
  async delete(siteId: number, trackId: number): Promise<boolean> {
    const done = await this.redis.deleteTrack(keys.track(trackId), siteId);
    if (done === 1) await this.redis.del(keys.trackUpdates(trackId));
    return done === 1;
  }
}
