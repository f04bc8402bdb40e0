import { ApiError } from '@ingest/core';
import { isRedisDiskError } from '@ingest/queue';
import type { Redis } from 'ioredis';

/**
 * Tells whether Redis wrote a call's changes to its append-only file
 * before the call answers 2xx (SPEC §3: nothing accepted is lost).
 *
 * With `appendfsync everysec` (the default) Redis answers a write before
 * it reaches its disk. When that disk write fails (a full disk), the
 * write has been answered OK all the same, and it is lost if Redis is
 * killed before it can write it out; only the writes after it are
 * refused (`MISCONF`). A PING is refused the same way, so a PING sent
 * after the call's last write was answered says whether that write got
 * to the disk. A PING answered by a Redis started again since (a
 * connection made anew) tells nothing of it.
 */
export class SavedCheck {
  /** Connections made so far ('ready' events of the client). */
  private connections = 0;

  constructor(private readonly redis: Redis) {
    redis.on('ready', () => this.connections++);
  }

  /**
   * Taken before a call writes: the connection its writes go to, for
   * `confirm`. While the client is not connected, that is the next one
   * (ioredis holds commands until then): a call that came in while Redis
   * was away, and wrote once it was back, is not refused for that.
   */
  mark(): number {
    return this.connections + (this.redis.status === 'ready' ? 0 : 1);
  }

  /**
   * Throws 503 `not_ready` when what the call wrote (its writes all
   * answered) may not be on Redis's disk: Redis cannot write it
   * (`MISCONF`, kept as the error's cause, for the log), or Redis was
   * connected to anew since `mark` was taken, before the call's writes
   * (killed and started again: a write answered by the Redis that was
   * killed may be lost, whatever the new one answers).
   */
  async confirm(connection = this.connections): Promise<void> {
    try {
      await this.redis.ping();
    } catch (err) {
      if (!isRedisDiskError(err)) throw err;
      throw notSaved('Redis could not write it to its disk', err);
    }
    if (this.connections !== connection) {
      throw notSaved('the connection to Redis was lost meanwhile');
    }
  }
}

function notSaved(why: string, cause?: unknown): ApiError {
  const err = new ApiError(
    'not_ready',
    `what this call stored may be lost (${why}); retry later`,
  );
  if (cause) err.cause = cause;
  return err;
}
