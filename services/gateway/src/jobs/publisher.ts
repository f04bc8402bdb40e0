import { ApiError, type Job } from '@ingest/core';
import { jobIds, type TypedQueue } from '@ingest/queue';
import type { StateStore } from '@ingest/state';

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
  ) {}

  async publish(job: Job, requestId?: string): Promise<PublishResult> {
    if (job.state === 'complete') {
      throw new ApiError('job_closed', `job ${job.id} is already complete`);
    }

    let uploadIds: number[];
    if (job.state === 'publishing') {
      const uploads = await this.store.listUploads(job.id);
      uploadIds = uploads.filter((u) => u.status === 'queued').map((u) => u.id);
    } else {
      const result = await this.store.publish(job.id);
      if (result === 'empty') {
        throw new ApiError('job_empty', `job ${job.id} has no uploads`);
      }
      if (result === 'closed') {
        throw new ApiError('job_closed', `job ${job.id} is already published`);
      }
      uploadIds = result.queued;
    }

    await this.transcode.addBulk(
      uploadIds.map((uploadId) => ({
        name: 'transcode',
        data: { uploadId, requestId },
        opts: { jobId: jobIds.transcode(uploadId) },
      })),
    );
    return { queued: uploadIds.length };
  }
}
