import { ApiError, type Site, type SourceFile } from '@ingest/core';
import type {
  DeletionStore,
  StateStore,
  UpdateStore,
} from '@ingest/state';
import type { Storage } from '@ingest/storage';
import type { Logger } from '@ingest/telemetry';

export interface UploadDeleterDeps {
  store: StateStore;
  deletions: DeletionStore;
  updates: UpdateStore;
  storage: Storage;
  logger: Logger;
}

/**
 * `/api/import/delete` (SPEC §2): drops uploads and track updates that
 * wait for their job's publish, with their stored sources. What was
 * handed to the transcoders, and every published track, stays as it is.
 */
export class UploadDeleter {
  constructor(private readonly deps: UploadDeleterDeps) {}

  /** Drops one waiting upload of the site; answers how many (1). */
  async deleteUpload(site: Site, uploadId: number): Promise<number> {
    const upload = await this.deps.store.getUpload(site.id, uploadId);
    if (!upload) {
      throw new ApiError('not_found', `upload ${uploadId} not found`);
    }

    await this.storageReachable();
    const result = await this.deps.deletions.dropWaiting(upload);
    if (result.dropped) {
      await this.dropped(upload.jobId, `upload:${uploadId}`, result.sources);
      return 1;
    }
    if (result.status === 'missing') {
      throw new ApiError('not_found', `upload ${uploadId} not found`);
    }
    throw notWaiting(`upload ${uploadId}`, result.status);
  }

  /** Drops one waiting track update of the site; answers 1. */
  async deleteUpdate(site: Site, updateId: number): Promise<number> {
    const update = await this.deps.updates.get(site.id, updateId);
    if (!update) {
      throw new ApiError('not_found', `update ${updateId} not found`);
    }

    await this.storageReachable();
    const result = await this.deps.updates.dropWaiting(update);
    if (result.dropped) {
      await this.dropped(update.jobId, `update:${updateId}`, result.sources);
      return 1;
    }
    if (result.status === 'missing') {
      throw new ApiError('not_found', `update ${updateId} not found`);
    }
    throw notWaiting(`update ${updateId}`, result.status);
  }

  /**
   * Drops every waiting upload and update of every open job of the
   * site. What a concurrent publish took first is left alone and not
   * counted; immediate updates never wait, so they are never dropped.
   */
  async deleteAll(site: Site): Promise<number> {
    const { deletions, updates, store } = this.deps;
    await this.storageReachable();
    let deleted = 0;
    for (const jobId of await deletions.openJobIds(site.id)) {
      for (const id of await store.uploadIds(jobId)) {
        const result = await deletions.dropWaiting({ id, jobId });
        if (!result.dropped) continue;
        await this.dropped(jobId, `upload:${id}`, result.sources);
        deleted += 1;
      }
      for (const id of await updates.idsOf(jobId)) {
        const result = await updates.dropWaiting({ id, jobId });
        if (!result.dropped) continue;
        await this.dropped(jobId, `update:${id}`, result.sources);
        deleted += 1;
      }
    }
    this.deps.logger.info({ siteId: site.id, deleted }, 'uploads deleted');
    return deleted;
  }

  /** What follows a drop: its autopublish mark and its files go. */
  private async dropped(
    jobId: number,
    member: string,
    sources: SourceFile[],
  ): Promise<void> {
    await this.deps.store.autopublish.unmark(jobId, member);
    await this.removeSources(sources);
  }

  /**
   * A drop cannot be undone, and its sources can only go after it (a
   * publish may take the upload first): with the store down they would
   * stay for ever. So a store that does not answer is a 503 `not_ready`
   * before anything is dropped, and the client's retry does the work.
   */
  private async storageReachable(): Promise<void> {
    const { ready, reason } = await this.deps.storage.ready();
    if (ready) return;
    this.deps.logger.warn({ reason }, 'delete refused: storage not ready');
    throw new ApiError('not_ready', 'storage is unavailable; retry later');
  }

  /**
   * A stored file that cannot be removed now (the store failed between
   * the check and the removal) is only wasted space: the upload is gone
   * either way, so the call still succeeds.
   */
  private async removeSources(sources: SourceFile[]): Promise<void> {
    for (const source of sources) {
      await this.deps.storage.delete(source.storageKey).catch((err) => {
        this.deps.logger.warn(
          { err, storageKey: source.storageKey },
          'source not removed',
        );
      });
    }
  }
}

function notWaiting(what: string, status: string): ApiError {
  return new ApiError(
    'upload_not_queued',
    `${what} is ${status}; only what waits in a job not yet published ` +
      'can be deleted',
    { status },
  );
}
