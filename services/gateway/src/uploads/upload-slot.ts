import { randomUUID } from 'node:crypto';
import { ApiError } from '@ingest/core';
import { isRedisTimeout } from '@ingest/queue';
import type { KeyLease, StateStore } from '@ingest/state';

/**
 * One upload per site may be fetching at a time (SPEC §2). The slot is
 * leased: should a gateway die holding it, it frees itself within one
 * lease.
 */
export class UploadSlot {
  private holder?: { siteId: number; id: string; lease: KeyLease };

  constructor(
    private readonly store: StateStore,
    private readonly leaseMs: number,
  ) {}

  async take(siteId: number): Promise<void> {
    if (this.holder) return;
    const id = randomUUID();
    const lease = await this.store.uploadSlots
      .take(siteId, id, this.leaseMs)
      .catch((err: unknown) => {
        // Redis may still take the slot once it answers again: the
        // release, sent on the same connection, runs after it, so the
        // client's retry finds the slot free. It is not waited for.
        if (isRedisTimeout(err)) {
          this.store.uploadSlots.release(siteId, id).catch(() => {});
        }
        throw err;
      });
    if (!lease) {
      throw new ApiError(
        'upload_in_progress',
        'another upload of this site is in progress; retry when it ends',
      );
    }
    this.holder = { siteId, id, lease };
  }

  async release(): Promise<void> {
    if (!this.holder) return;
    const { siteId, id, lease } = this.holder;
    this.holder = undefined;
    lease.stop();
    await this.store.uploadSlots.release(siteId, id);
  }
}
