import type { TypedJob } from '@ingest/queue';
import { RunPresence, runLeaseFor } from '@ingest/state';
import type { Redis } from 'ioredis';
import { finalFailure } from './rendition-maker';
import { announceCompletion, errorUpload } from './transcode-processor';
import { errorUnlessApplied } from './update-apply';
import {
  publishApplied,
  removeSources,
  type UpdateProcessorDeps,
} from './update-processor';

/** How often a failed job's live run is looked for again. */
const POLL_MS = 5_000;

/**
 * What the transcode worker runs its processor in, and hears its failed
 * jobs with, for a queue whose lock lasts `lockMs` (its runs' presence
 * lasts runLeaseFor that): the work of a job whose last run died is
 * errored within about two and a third locks of that death (its
 * presence lapsed, and still so a renewal later: RunPresence.gone), once
 * BullMQ failed the job.
 */
export function stalledOutWatch(
  deps: UpdateProcessorDeps,
  redis: Redis,
  lockMs: number,
) {
  const presence = new RunPresence(redis, runLeaseFor(lockMs));
  return {
    wrap: <R>(processor: (job: TypedJob<'transcode'>) => Promise<R>) =>
      presentWhileRunning(presence, processor),
    failed: stalledOutHandler(deps, presence, Math.min(POLL_MS, lockMs / 2)),
  };
}

/**
 * A transcode worker's processor whose runs mark their presence while
 * they run (RunPresence), for stalledOutHandler.
 */
export function presentWhileRunning<R>(
  presence: RunPresence,
  processor: (job: TypedJob<'transcode'>) => Promise<R>,
) {
  return async (job: TypedJob<'transcode'>): Promise<R> => {
    const held = await presence.enter(String(job.id));
    try {
      return await processor(job);
    } finally {
      await held.leave().catch(() => undefined);
    }
  };
}

/**
 * What the transcode worker does when BullMQ fails a run for good
 * without the processor having finished its upload or update. Runs that
 * all died (their transcoder killed, again and again: the lock lapsed
 * more often than the queue's stall limit) end so: BullMQ fails the job
 * without running it again, so no run is left to error the upload. It
 * stayed `transcoding` for ever, its job never complete, and the files
 * its dead runs had stored stayed in storage, noted for it. This errors
 * it, as its last attempt would have, and so removes those files.
 */
export function stalledOutHandler(
  deps: UpdateProcessorDeps,
  presence: RunPresence,
  pollMs = POLL_MS,
) {
  const finish = async (jobId: number, jobState: string, requestId?: string) => {
    if (jobId && jobState === 'complete') {
      await announceCompletion(deps, jobId, requestId);
    }
  };

  /**
   * Waits while a run of the job is still present: one whose lock lapsed
   * while it went on (its process stalled, its Redis away for a while)
   * was counted as stalled, and may yet publish. Its end, or its
   * presence lapsing (its process died), settles what is left to do.
   */
  async function runsGone(job: TypedJob<'transcode'>) {
    const bullJobId = String(job.id);
    // gone, not alive, at first too: after an outage longer than the
    // lease another transcoder's stall check may fail the job before the
    // one running it is back to renew its presence.
    if (await presence.gone(bullJobId)) return;
    deps.logger.info(
      { bullJobId, uploadId: job.data.uploadId, updateId: job.data.updateId },
      'failed transcode still has a run going: left to it for now',
    );
    do {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    } while (!(await presence.gone(bullJobId)));
  }

  async function errorItsWork(job: TypedJob<'transcode'>, err: Error) {
    await runsGone(job);
    const { uploadId, updateId, requestId } = job.data;
    const failure = job.deferredFailure
      ? {
          code: 'internal',
          reason: `transcoding stopped: its runs died before finishing (${err.message})`,
        }
      : finalFailure(err, job.attemptsMade, true, 'transcoding');
    if (!failure) return;
    const log = deps.logger.child({ queue: 'transcode', bullJobId: job.id, requestId });

    if (updateId) {
      const update = await deps.updates.byId(updateId);
      if (!update || update.status === 'published' || update.status === 'error') return;
      // A run that died after its patch applied it: the track serves it.
      const settled = await errorUnlessApplied(deps, update, {
        error: failure.reason,
        errorCode: failure.code,
      });
      if (settled.applied) {
        const done = await publishApplied(deps, update, settled.superseded);
        log.info({ updateId }, 'update published: a run that died had applied it');
        return finish(update.jobId, done.jobState, requestId);
      }
      // As updateProcessor: never applied again, its source held the quota.
      if (settled.moved) {
        await removeSources(deps, update);
      }
      log.info({ updateId, code: failure.code }, 'update errored: its runs failed');
      return finish(update.jobId, settled.jobState, requestId);
    }
    const upload = await deps.store.uploadById(uploadId);
    if (!upload || upload.status === 'published' || upload.status === 'error') return;
    const moved = await errorUpload(deps, upload, failure);
    log.info({ uploadId, code: failure.code }, 'transcode errored upload: its runs failed');
    await finish(upload.jobId, moved.jobState, requestId);
  }

  /** For the worker's `failed` event; never throws. */
  return (job: TypedJob<'transcode'> | undefined, err: Error): void => {
    // Set only when the job failed for good, not when it is retried.
    if (!job?.finishedOn) return;
    errorItsWork(job, err).catch((failed: unknown) => {
      deps.logger.warn(
        { err: failed, bullJobId: job.id },
        'work of a failed transcode not errored',
      );
    });
  };
}
