import { ApiError } from '@ingest/core';
import { autopublishOptions, type TypedQueue } from '@ingest/queue';
import type { StateStore } from '@ingest/state';
import type { Logger } from '@ingest/telemetry';
import type { Publisher } from './publisher';

export interface AutopublisherDeps {
  store: StateStore;
  publisher: Publisher;
  /** Holds one delayed timer per ingest job. */
  queue: TypedQueue<'autopublish'>;
  /** Quiet time after the last autopublish upload, in ms (10 min). */
  idleMs: number;
  /** A job holding this many uploads publishes at once (1000). */
  maxUploads: number;
  logger: Logger;
}

/** What an autopublish attempt came to; failures throw. */
export type AutopublishOutcome =
  | 'published'
  | 'not_open'
  | 'empty'
  | 'missing'
  /** Every autopublish upload of the job was deleted meanwhile. */
  | 'no_autopublish';

/** What the check after a publish came to. */
export type HandoverOutcome =
  /**
   * Uploads still waited queued and were handed over again: new to the
   * queue if the publishing gateway died, else a no-op (queue job ids).
   */
  | 'still_queued'
  | 'nothing_queued'
  | 'not_publishing'
  | 'missing';

/**
 * Uploads sent with `autopublish=1` publish their job by themselves
 * (SPEC §2): once the job was quiet for `idleMs`, or at once when it
 * holds `maxUploads`. The timer is a delayed queue job in Redis, so it
 * outlives any gateway; the publish itself is idempotent, so a timer
 * that fires twice, or races the limit, publishes once.
 */
export class Autopublisher {
  constructor(private readonly deps: AutopublisherDeps) {}

  /**
   * An autopublish upload (or track update), `member` as `upload:<id>` /
   * `update:<id>`, joined the job: publish the job when it holds enough
   * uploads, else start its idle timer again.
   */
  async noteUpload(
    jobId: number,
    member: string,
    requestId?: string,
  ): Promise<void> {
    try {
      // Gone (deleted since its add) or published already: it neither
      // counts toward the limit nor restarts the idle timer.
      if (!(await this.deps.store.autopublish.mark(jobId, member))) return;
      const { q, i, d, e } = await this.deps.store.counts(jobId);
      if (q + i + d + e >= this.deps.maxUploads) {
        await this.publishIfOpen(jobId, 'limit', requestId);
        return;
      }
      await this.deps.queue.add(
        'autopublish',
        { jobId, requestId },
        autopublishOptions(jobId, this.deps.idleMs),
      );
    } catch (err) {
      this.deps.logger.error({ err, jobId }, 'autopublish not scheduled');
      throw err;
    }
  }

  /**
   * An upload or update sent without autopublish joined the job. The
   * limit counts every upload of the job (SPEC §2: "once the job holds
   * 1000 uploads"), so one that brings a job its autopublish uploads
   * made self-publishing to `maxUploads` publishes it at once; a job
   * with none never publishes itself. Should this fail, the job's idle
   * timer still publishes it: the upload stands, and the call with it.
   */
  async noteGrowth(jobId: number, requestId?: string): Promise<void> {
    try {
      const { q, i, d, e } = await this.deps.store.counts(jobId);
      if (q + i + d + e < this.deps.maxUploads) return;
      if (!(await this.deps.store.autopublish.marked(jobId))) return;
      await this.publishIfOpen(jobId, 'limit', requestId, true);
    } catch (err) {
      this.deps.logger.warn({ err, jobId }, 'autopublish limit not applied');
    }
  }

  /**
   * The check that follows a publish: a job still `publishing` gets what
   * it holds queued handed to the transcoders again, in case the gateway
   * that published it died (or met a Redis error) before it did so.
   */
  async handOverIfPublishing(
    jobId: number,
    requestId?: string,
  ): Promise<HandoverOutcome> {
    const job = await this.deps.store.jobById(jobId);
    if (!job) return 'missing';
    if (job.state !== 'publishing') return 'not_publishing';
    const { queued } = await this.deps.publisher.publish(job, requestId);
    return queued > 0 ? 'still_queued' : 'nothing_queued';
  }

  /**
   * Publishes the job unless it is gone, empty or published already;
   * `marked`: only while an autopublish upload of it still waits, as
   * the idle timer's publish, checked in the step that closes it.
   */
  async publishIfOpen(
    jobId: number,
    reason: 'idle' | 'limit',
    requestId?: string,
    marked = reason === 'idle',
  ): Promise<AutopublishOutcome> {
    const job = await this.deps.store.jobById(jobId);
    if (!job) return 'missing';
    if (job.state === 'complete') return 'not_open';
    if (job.state === 'publishing') {
      // A publish closes the job, then hands its uploads over. A gateway
      // killed between the two (or a Redis error on the second; this
      // timer then runs again) leaves them queued for no transcoder:
      // hand over what is still queued (queue job ids make it harmless).
      await this.deps.publisher.publish(job, requestId);
      return 'not_open';
    }
    // README: a job with no autopublish upload never publishes by itself,
    // also when the ones it had were deleted after starting the timer.
    // This early look spares the usual case a publish call; the idle
    // publish checks again in the step that closes the job, so a delete
    // landing between the two cannot let it through.
    if (reason === 'idle' && !(await this.deps.store.autopublish.any(jobId))) {
      return 'no_autopublish';
    }

    try {
      const published =
        marked
          ? await this.deps.publisher.publishIdle(job, requestId)
          : await this.deps.publisher.publish(job, requestId);
      if (published === 'no_autopublish') return published;
      const { queued } = published;
      this.deps.logger.info(
        { jobId, queued, reason, requestId },
        'job autopublished',
      );
      return 'published';
    } catch (err) {
      // Another gateway or a client published first; or every upload
      // was deleted meanwhile. Neither is a failure of the timer.
      if (err instanceof ApiError && err.code === 'job_closed') {
        return 'not_open';
      }
      if (err instanceof ApiError && err.code === 'job_empty') return 'empty';
      throw err;
    }
  }
}
