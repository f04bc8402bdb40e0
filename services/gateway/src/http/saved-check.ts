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
 * to the disk.
 *
 * A reconnection between the write and the PING is not taken for a
 * loss: a call that came in while Redis restarted mostly wrote to the
 * Redis that came back, and refusing it would have its retry store the
 * same upload twice; a Redis killed in the round trip between a write
 * and its PING, and back with room before the PING is resent, is not
 * noticed.
 */
export class SavedCheck {
  constructor(private readonly redis: Redis) {}

  /**
   * Throws 503 `not_ready` when what the call wrote (its writes all
   * answered) may not be on Redis's disk: Redis cannot write it
   * (`MISCONF`, kept as the error's cause, for the log).
   */
  async confirm(): Promise<void> {
    try {
      await this.redis.ping();
    } catch (err) {
      if (!isRedisDiskError(err)) throw err;
      const refusal = new ApiError(
        'not_ready',
        'what this call stored may be lost (Redis could not write it to its disk); ' +
          'retry later',
      );
      refusal.cause = err;
      throw refusal;
    }
  }
}
