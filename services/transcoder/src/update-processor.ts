import type { OutputFormat, TrackUpdate } from '@ingest/core';
import { jobIds, type TypedJob } from '@ingest/queue';
import { finalFailure } from './rendition-maker';
import {
  announceCompletion,
  removeFiles,
  sourceKeys,
  type Outcome,
} from './transcode-processor';
import { applyUpdate, errorUnlessApplied, type ApplyDeps } from './update-apply';

export type UpdateProcessorDeps = ApplyDeps;

/**
 * Runs one track update: applies it in update order (see applyUpdate),
 * then marks it published, with the formats a newer update had taken
 * already. Safe to run twice: a finished update is left alone.
 */
export function updateProcessor(deps: UpdateProcessorDeps) {
  const { store, updates } = deps;

  async function finish(
    update: TrackUpdate,
    outcome: Outcome,
    jobState: string,
    requestId: string | undefined,
  ) {
    if (jobState === 'complete') {
      await announceCompletion(deps, update.jobId, requestId);
    }
    return outcome;
  }

  return async (job: TypedJob<'transcode'>): Promise<Outcome> => {
    const { updateId = 0, requestId } = job.data;
    const log = deps.logger.child({
      queue: 'transcode',
      bullJobId: job.id,
      updateId,
      attempt: job.attemptsMade + 1,
      requestId,
    });

    /** A run of an update done with: announces its job if complete. */
    async function alreadyFinished(update: TrackUpdate): Promise<Outcome> {
      const state = update.jobId
        ? ((await store.jobById(update.jobId))?.state ?? '')
        : '';
      return finish(
        update,
        { outcome: 'skipped', reason: 'finished' },
        state,
        requestId,
      );
    }

    const update = await updates.byId(updateId);
    if (!update) return { outcome: 'skipped', reason: 'missing' };
    if (update.status === 'published' || update.status === 'error') {
      return alreadyFinished(update);
    }

    await updates.move(update, 'transcoding');
    const started = Date.now();
    log.info({ trackId: update.trackId }, 'update started');

    try {
      const applied = await applyUpdate(deps, update);
      if (applied === 'finished') {
        // Errored (its runs stalled out) or published while this run
        // went on: the track was left as it was, this run's files went.
        log.info({ durationMs: Date.now() - started }, 'update finished by another run');
        return alreadyFinished(update);
      }
      const { track, superseded } = applied;
      const moved = await publishApplied(deps, update, superseded);
      log.info(
        {
          trackId: track.id,
          durationMs: Date.now() - started,
          ...(superseded.length ? { superseded } : {}),
        },
        'update completed',
      );
      return finish(
        update,
        { outcome: 'published', trackId: track.id },
        moved.jobState,
        requestId,
      );
    } catch (err) {
      if (deps.signal?.aborted) throw err;
      // Put back while the store is away (StorageWait), not an attempt;
      // it stays transcoding, as one handed back on shutdown does.
      if (deps.storageWait?.holds(job, err)) throw err;
      const attempt = job.attemptsMade + 1;
      const failure = finalFailure(
        err,
        attempt,
        attempt >= (job.opts.attempts ?? 1),
        'update',
      );
      if (!failure) {
        log.warn({ err, durationMs: Date.now() - started }, 'update failed');
        throw err;
      }
      const { code, reason } = failure;
      const settled = await errorUnlessApplied(deps, update, {
        error: reason,
        errorCode: code,
      });
      if (settled.applied) {
        // A patch put it in the track: another run's (that run died,
        // or is about to mark it), or this one's before a later step
        // failed. The track serves it.
        const done = await publishApplied(deps, update, settled.superseded);
        log.info(
          { err, durationMs: Date.now() - started },
          'update failed; another run had applied it',
        );
        return finish(
          update,
          { outcome: 'published', trackId: update.trackId },
          done.jobState,
          requestId,
        );
      }
      // Never applied again, nor deletable: kept, its source held the
      // site's INGEST_SITE_QUOTA for good.
      if (settled.moved) await removeSources(deps, update);
      log.info(
        { code, durationMs: Date.now() - started },
        'update errored',
      );
      return finish(
        update,
        { outcome: 'errored', code },
        settled.jobState,
        requestId,
      );
    }
  };
}

/**
 * Marks an update the track holds published, with the formats a newer
 * update had taken already; its track's fields changed, so search is
 * told.
 */
export async function publishApplied(
  deps: UpdateProcessorDeps,
  update: TrackUpdate,
  superseded: OutputFormat[],
): Promise<{ moved: boolean; jobState: string }> {
  const moved = await deps.updates.published(update, superseded);
  await removeSourcesIfDeleted(deps, update);
  if (update.meta) {
    await deps.index.add(
      'index',
      { trackId: update.trackId, op: 'add' },
      { jobId: jobIds.index(update.trackId, 'add', `x${update.id}`) },
    );
  }
  return moved;
}

/**
 * Removes a published update's sources when its track was deleted
 * meanwhile: the delete removed those of the updates it found
 * published, and this one may have been marked after it looked.
 */
async function removeSourcesIfDeleted(
  deps: UpdateProcessorDeps,
  update: TrackUpdate,
): Promise<void> {
  if (await deps.updates.readTrack(update.trackId)) return;
  await removeSources(deps, update);
}

/** Removes and uncounts an update's sources, and notes it on its record. */
export async function removeSources(
  deps: UpdateProcessorDeps,
  update: TrackUpdate,
): Promise<void> {
  await removeFiles(deps, update.siteId, sourceKeys(update.sources));
  await deps.updates.sourcesRemoved(update.id);
}
