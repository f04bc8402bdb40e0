import type { SourceFile, Upload, UploadStatus } from '@ingest/core';
import type { Redis } from 'ioredis';
import { keys } from './keys';
import { DROP_WAITING } from './scripts';

export type DropResult =
  | { dropped: true; sources: SourceFile[] }
  | { dropped: false; status: UploadStatus | 'missing' };

interface Scripts {
  dropWaitingUpload(...args: (string | number)[]): Promise<string[]>;
}

/**
 * What `/api/import/delete` changes: uploads (and their counters) that
 * were not published yet. Shares the StateStore's Redis client and keys.
 */
export class DeletionStore {
  private readonly redis: Redis & Scripts;

  constructor(redis: Redis) {
    redis.defineCommand('dropWaitingUpload', {
      numberOfKeys: 4,
      lua: DROP_WAITING,
    });
    this.redis = redis as Redis & Scripts;
  }

  /**
   * Drops one upload if it still waits, with its autopublish mark; says
   * why not otherwise.
   */
  async dropWaiting(upload: Pick<Upload, 'id' | 'jobId'>): Promise<DropResult> {
    const [outcome, sources] = await this.redis.dropWaitingUpload(
      keys.job(upload.jobId),
      keys.jobUploads(upload.jobId),
      keys.upload(upload.id),
      keys.jobAutopublish(upload.jobId),
      upload.id,
      `upload:${upload.id}`,
    );
    if (outcome !== 'dropped') {
      return { dropped: false, status: outcome as UploadStatus | 'missing' };
    }
    const bySource = JSON.parse(sources) as Record<string, SourceFile>;
    return { dropped: true, sources: Object.values(bySource) };
  }

  /** Ids of the site's jobs that are still open, oldest first. */
  async openJobIds(siteId: number): Promise<number[]> {
    const ids = (await this.redis.zrange(keys.siteJobs(siteId), 0, -1)).map(
      Number,
    );
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(keys.job(id), 'state');
    const states = (await pipeline.exec()) ?? [];
    return ids.filter((_, i) => states[i]?.[1] === 'open');
  }
}
