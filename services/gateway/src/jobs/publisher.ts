import { ApiError, type Job } from '@ingest/core';
import { jobIds, type TypedQueue } from '@ingest/queue';
import type { StateStore, UpdateStore } from '@ingest/state';

export interface PublishResult {
  queued: number;
}

/**
 * Publishes a job: closes it and hands each upload to the transcoders.
 * Publishing a job that is already publishing hands its still-queued
 * uploads over again (harmless: job ids dedupe), so a gateway that died
 * between the two steps loses nothing.
 */
export class Publisher {
  constructor(
    private readonly store: StateStore,
    private readonly transcode: TypedQueue<'transcode'>,
    private readonly updates: UpdateStore,
  ) {}

  async publish(job: Job, requestId?: string): Promise<PublishResult> {
    if (job.state === 'complete') {
      throw new ApiError('job_closed', `job ${job.id} is already complete`);
    }

    let uploadIds: number[];
    let updateIds: number[];
    if (job.state === 'publishing') {
      const uploads = await this.store.listUploads(job.id);
      uploadIds = uploads.filter((u) => u.status === 'queued').map((u) => u.id);
      updateIds = await this.updates.idsOf(job.id);
    } else {
      const result = await this.store.publish(job.id);
      if (result === 'empty') {
        throw new ApiError('job_empty', `job ${job.id} has no uploads`);
      }
      if (result === 'closed') {
        throw new ApiError('job_closed', `job ${job.id} is already published`);
      }
      uploadIds = result.queued;
      updateIds = result.updates;
    }
    const updates = (await this.updates.many(updateIds)).filter(
      (u) => u.status === 'queued',
    );

    await this.transcode.addBulk([
      ...uploadIds.map((uploadId) => ({
        name: 'transcode' as const,
        data: { uploadId, requestId },
        opts: { jobId: jobIds.transcode(uploadId) },
      })),
      // An update re-runs its track's upload as generation <update id>.
      ...updates.map((u) => ({
        name: 'transcode' as const,
        data: { uploadId: u.uploadId, updateId: u.id, requestId },
        opts: { jobId: jobIds.transcode(u.uploadId, u.id) },
      })),
    ]);
    return { queued: uploadIds.length + updates.length };
  }
}
