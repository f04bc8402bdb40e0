import { randomUUID } from 'node:crypto';
import { ApiError } from '@ingest/core';
import type { StateStore } from '@ingest/state';

/**
 * One upload per site may be fetching at a time (SPEC §2). The slot
 * expires by itself should a gateway die holding it.
 */
export class UploadSlot {
  private holder?: { siteId: number; id: string };

  constructor(
    private readonly store: StateStore,
    private readonly ttlMs: number,
  ) {}

  async take(siteId: number): Promise<void> {
    if (this.holder) return;
    const id = randomUUID();
    if (!(await this.store.uploadSlots.take(siteId, id, this.ttlMs))) {
      throw new ApiError(
        'upload_in_progress',
        'another upload of this site is in progress; retry when it ends',
      );
    }
    this.holder = { siteId, id };
  }

  async release(): Promise<void> {
    if (!this.holder) return;
    const { siteId, id } = this.holder;
    this.holder = undefined;
    await this.store.uploadSlots.release(siteId, id);
  }
}
