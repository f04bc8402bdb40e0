import { ApiError, type Site, type SourceFile } from '@ingest/core';
import type {
  DeletionStore,
  StateStore,
  UpdateStore,
} from '@ingest/state';
import type { Storage } from '@ingest/storage';
import type { Logger } from '@ingest/telemetry';
import { notWaitingError } from './not-waiting';
import { removeSource, type SiteQuota } from './site-quota';

const CANNOT_DELETE =
  'only what waits in a job not yet published can be deleted';

export interface UploadDeleterDeps {
  store: StateStore;
  deletions: DeletionStore;
  updates: UpdateStore;
  storage: Storage;
  logger: Logger;
  /** Counts the bytes of sources removed (INGEST_SITE_QUOTA). */
  quota?: SiteQuota;
}

/**
 * `/api/import/delete` (SPEC §2): drops uploads and track updates that
 * wait for their job's publish, with their stored sources. What was
 * handed to the transcoders, and every published track, stays as it is.
 */
export class UploadDeleter {
  constructor(private readonly deps: UploadDeleterDeps) {}

  /**
   * Drops one waiting upload of the site; answers how many (1). With
   * `jobId`, the upload must be in that job.
   */
  async deleteUpload(
    site: Site,
    uploadId: number,
    jobId?: number,
  ): Promise<number> {
    const upload = await this.deps.store.getUpload(site.id, uploadId);
    if (!upload) {
      throw new ApiError('not_found', `upload ${uploadId} not found`);
    }
    inJob(`upload ${uploadId}`, upload.jobId, jobId, 'upload_id');

    await this.storageReachable();
    const result = await this.deps.deletions.dropWaiting(upload);
    if (result.dropped) {
      await this.removeSources(result.sources);
      return 1;
    }
    if (result.status === 'missing') {
      throw new ApiError('not_found', `upload ${uploadId} not found`);
    }
    throw notWaitingError(`upload ${uploadId}`, result.status, CANNOT_DELETE);
  }

  /**
   * Drops one waiting track update of the site; answers 1. With `jobId`,
   * the update must wait in that job.
   */
  async deleteUpdate(
    site: Site,
    updateId: number,
    jobId?: number,
  ): Promise<number> {
    const update = await this.deps.updates.get(site.id, updateId);
    if (!update) {
      throw new ApiError('not_found', `update ${updateId} not found`);
    }
    inJob(`update ${updateId}`, update.jobId, jobId, 'update_id');

    await this.storageReachable();
    const result = await this.deps.updates.dropWaiting(update);
    if (result.dropped) {
      await this.removeSources(result.sources);
      return 1;
    }
    if (result.status === 'missing') {
      throw new ApiError('not_found', `update ${updateId} not found`);
    }
    throw notWaitingError(
      `update ${updateId}`,
      result.status,
      CANNOT_DELETE,
      update.immediate,
    );
  }

  /**
   * Drops every waiting upload and update of every open job of the
   * site, or of the one job `onlyJob` when given (a job of another site
   * is not found). What a concurrent publish took first is left alone
   * and not counted; immediate updates never wait, so they are never
   * dropped.
   */
  async deleteAll(site: Site, onlyJob?: number): Promise<number> {
    const { deletions, updates, store } = this.deps;
    if (onlyJob !== undefined && !(await store.getJob(site.id, onlyJob))) {
      throw new ApiError('not_found', `job ${onlyJob} not found`);
    }
    await this.storageReachable();
    const open = await deletions.openJobIds(site.id);
    const jobIds =
      onlyJob === undefined ? open : open.filter((id) => id === onlyJob);
    let deleted = 0;
    for (const jobId of jobIds) {
      for (const id of await store.uploadIds(jobId)) {
        const result = await deletions.dropWaiting({ id, jobId });
        if (!result.dropped) continue;
        await this.removeSources(result.sources);
        deleted += 1;
      }
      for (const id of await updates.idsOf(jobId)) {
        const result = await updates.dropWaiting({ id, jobId });
        if (!result.dropped) continue;
        await this.removeSources(result.sources);
        deleted += 1;
      }
    }
    this.deps.logger.info(
      { siteId: site.id, jobId: onlyJob, deleted },
      'uploads deleted',
    );
    return deleted;
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
      try {
        await removeSource(this.deps, source.storageKey);
      } catch (err) {
        this.deps.logger.warn(
          { err, storageKey: source.storageKey },
          'source not removed',
        );
      }
    }
  }
}

/**
 * A `job_id` given with one id must be where that id is: deleting
 * something else than the call names is never a guess worth making.
 */
function inJob(
  what: string,
  actual: number,
  expected: number | undefined,
  parameter: string,
): void {
  if (expected === undefined || actual === expected) return;
  const where =
    actual === 0 ? 'an immediate update, in no job' : `in job ${actual}`;
  throw new ApiError(
    'invalid_parameter',
    `${what} is ${where}, not job ${expected}; leave job_id out to delete it`,
    { parameters: [parameter, 'job_id'] },
  );
}

