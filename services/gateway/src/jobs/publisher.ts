import { ApiError, type Job, type Upload } from '@ingest/core';
import {
  handoverCheckOptions,
  jobIds,
  type TypedQueue,
} from '@ingest/queue';
import type { StateStore, UpdateStore } from '@ingest/state';

export interface PublishResult {
  queued: number;
}

/**
 * Publishes a job: closes it and hands each upload to the transcoders,
 * longest source first. A job is done when its last track is, and
 * starting the long ones first keeps one long track from running alone
 * at the end while the other transcoder slots idle (the classic
 * longest-processing-time rule; the bench shows the effect). Jobs still
 * go first come, first served: only a job's own uploads are reordered.
 * Publishing a job that is already publishing hands its still-queued
 * uploads over again (harmless: job ids dedupe), so a gateway that died
 * between the two steps loses nothing: before it closes a job, a publish
 * sets a delayed check (`checks`, the autopublish queue) that does just
 * that, so the job completes even when no client publishes again.
 */
export class Publisher {
  constructor(
    private readonly store: StateStore,
    private readonly transcode: TypedQueue<'transcode'>,
    private readonly updates: UpdateStore,
    private readonly checks: TypedQueue<'autopublish'>,
  ) {}

  /**
   * `oncomplete`, when given, replaces the job's target only if the
   * publish goes ahead: a refused publish changes nothing.
   */
  publish(
    job: Job,
    requestId?: string,
    oncomplete?: string,
  ): Promise<PublishResult> {
    return this.run(job, requestId, oncomplete, false);
  }

  /**
   * The idle timer's publish: as `publish`, but 'no_autopublish' when
   * the job's autopublish uploads were all deleted (README, Autopublish).
   * The store checks that in the step that closes the job, so a delete
   * of the last one just before it is never outrun.
   */
  publishIdle(
    job: Job,
    requestId?: string,
  ): Promise<PublishResult | 'no_autopublish'> {
    return this.run(job, requestId, undefined, true);
  }

  // Only the idle timer's publish can be refused for its marks.
  private run(
    job: Job,
    requestId: string | undefined,
    oncomplete: string | undefined,
    idle: false,
  ): Promise<PublishResult>;
  private run(
    job: Job,
    requestId: string | undefined,
    oncomplete: string | undefined,
    idle: true,
  ): Promise<PublishResult | 'no_autopublish'>;
  private async run(
    job: Job,
    requestId: string | undefined,
    oncomplete: string | undefined,
    idle: boolean,
  ): Promise<PublishResult | 'no_autopublish'> {
    if (job.state === 'open') {
      await this.checks.add(
        'autopublish',
        { jobId: job.id, requestId, handover: true },
        handoverCheckOptions(job.id),
      );
    }
    const closed = await closeJob(
      this.store,
      this.updates,
      job,
      oncomplete,
      idle,
    );
    if (closed === 'no_autopublish') return closed;
    const { uploadIds, updateIds } = closed;
    const updates = (await this.updates.many(updateIds)).filter(
      (u) => u.status === 'queued',
    );
    const ordered = longestFirst(
      uploadIds,
      await this.store.listUploads(job.id),
    );

    await this.transcode.addBulk([
      ...ordered.map((uploadId) => ({
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

/**
 * Closes an open job, or finds what a publishing one still has queued.
 */
async function closeJob(
  store: StateStore,
  updates: UpdateStore,
  job: Job,
  oncomplete: string | undefined,
  idle: boolean,
): Promise<{ uploadIds: number[]; updateIds: number[] } | 'no_autopublish'> {
  let current = job;
  if (current.state === 'open') {
    const result = await store.publish(current.id, oncomplete, idle);
    if (result === 'no_autopublish') return result;
    if (result === 'empty') {
      throw new ApiError('job_empty', `job ${current.id} has no uploads`);
    }
    if (result !== 'closed') {
      return { uploadIds: result.queued, updateIds: result.updates };
    }
    // Another call published it since it was read (two clients
    // publishing the main job at once): this one is a repeat.
    current = (await store.jobById(current.id)) ?? current;
  }
  if (current.state !== 'publishing') {
    const state = current.state === 'complete' ? 'complete' : 'published';
    throw new ApiError('job_closed', `job ${current.id} is already ${state}`);
  }
  // The job may have completed since it was read: its deliveries are
  // planned, and a target set now would never be told (README).
  if (oncomplete && !(await store.setOncomplete(current.id, oncomplete))) {
    throw new ApiError('job_closed', `job ${current.id} is already complete`);
  }
  const uploads = await store.listUploads(current.id);
  return {
    uploadIds: uploads.filter((u) => u.status === 'queued').map((u) => u.id),
    updateIds: await updates.idsOf(current.id),
  };
}

/**
 * Upload ids, longest source first. An upload whose length no source
 * declares goes before all of them: a long one taken last would hold up
 * the job, a short one taken first costs nothing. Ties keep upload order.
 */
export function longestFirst(ids: number[], uploads: Upload[]): number[] {
  const seconds = new Map(uploads.map((u) => [u.id, lengthOf(u)]));
  return ids
    .map((id, position) => ({
      id,
      position,
      seconds: seconds.get(id) ?? Infinity,
    }))
    .sort((a, b) => b.seconds - a.seconds || a.position - b.position)
    .map((entry) => entry.id);
}

function lengthOf(upload: Upload): number {
  const known = Object.values(upload.sources)
    .map((s) => s.seconds)
    .filter((s): s is number => s !== undefined && s > 0);
  return known.length > 0 ? Math.max(...known) : Infinity;
}
