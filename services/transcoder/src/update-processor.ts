import { rm } from 'node:fs/promises';
import {
  mergeMeta,
  nextStoredAt,
  type Track,
  type TrackUpdate,
} from '@ingest/core';
import { jobIds, type TypedJob } from '@ingest/queue';
import type { UpdateStore } from '@ingest/state';
import { UploadFault, finalFailure } from './rendition-maker';
import {
  makeRenditions,
  type Outcome,
  type ProcessorDeps,
} from './transcode-processor';

export interface UpdateProcessorDeps extends ProcessorDeps {
  updates: UpdateStore;
}

/**
 * Applies one track update: makes the renditions it replaces from its
 * source, renames each into the track's key (a download already reading
 * the old file keeps its open file), then points the track record at
 * the new facts. Safe to run twice: a finished update is left alone.
 */
export function updateProcessor(deps: UpdateProcessorDeps) {
  const { store, updates } = deps;

  async function finish(
    update: TrackUpdate,
    outcome: Outcome,
    jobState: string,
  ) {
    if (jobState === 'complete') {
      await deps.completion.add(
        'completion',
        { jobId: update.jobId },
        { jobId: jobIds.completion(update.jobId) },
      );
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

    const update = await updates.byId(updateId);
    if (!update) return { outcome: 'skipped', reason: 'missing' };
    if (update.status === 'published' || update.status === 'error') {
      const state = update.jobId
        ? ((await store.jobById(update.jobId))?.state ?? '')
        : '';
      return finish(update, { outcome: 'skipped', reason: 'finished' }, state);
    }

    await updates.move(update, 'transcoding');
    const started = Date.now();
    log.info({ trackId: update.trackId }, 'update started');

    try {
      const track = await applyUpdate(deps, update);
      const moved = await updates.move(update, 'published');
      if (update.meta) {
        // The track's fields changed: search must see them.
        await deps.index.add(
          'index',
          { trackId: track.id, op: 'add' },
          { jobId: jobIds.index(track.id, 'add', `x${update.id}`) },
        );
      }
      log.info(
        { trackId: track.id, durationMs: Date.now() - started },
        'update completed',
      );
      return finish(
        update,
        { outcome: 'published', trackId: track.id },
        moved.jobState,
      );
    } catch (err) {
      if (deps.signal?.aborted) throw err;
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
      const moved = await updates.move(update, 'error', {
        error: reason,
        errorCode: code,
      });
      log.info(
        { code, durationMs: Date.now() - started },
        'update errored',
      );
      return finish(update, { outcome: 'errored', code }, moved.jobState);
    }
  };
}

async function applyUpdate(
  deps: UpdateProcessorDeps,
  update: TrackUpdate,
): Promise<Track> {
  const gone = () => new UploadFault('track_missing', 'the track was deleted');
  const track = await deps.store.getTrack(update.siteId, update.trackId);
  if (!track) throw gone();

  const { made, outDir } = await makeRenditions(deps, {
    id: update.id,
    sources: update.sources,
    formats: update.formats,
    meta: mergeMeta(track.meta, update.meta),
  });
  const renditions: Track['renditions'] = {};
  try {
    for (const { path: file, ...facts } of made) {
      // A key of this update's own, so the record and the file agree
      // even when two updates of one rendition run at once; a re-run of
      // the update renames over its own key.
      const { format } = facts;
      const storageKey = `tracks/${track.id}/${format}.u${update.id}.${format}`;
      await deps.storage.putFile(storageKey, file);
      renditions[format] = { ...facts, storageKey };
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }

  // Only now, with every file in place, does the record change.
  let replaced: string[] = [];
  const saved = await deps.updates.changeTrack(track.id, (current) => {
    replaced = Object.values(renditions).flatMap((r) => {
      const old = current.renditions[r.format]?.storageKey;
      return old && old !== r.storageKey ? [old] : [];
    });
    return {
      renditions: { ...current.renditions, ...stamped(renditions, current) },
      meta: mergeMeta(current.meta, update.meta),
    };
  });
  const removed = saved ? replaced : Object.values(renditions).map(
    (r) => r.storageKey,
  );
  for (const key of removed) {
    // A download that opened the old file keeps reading it to its end.
    await deps.storage.delete(key).catch((err) => {
      deps.logger.warn({ err, storageKey: key }, 'old rendition not removed');
    });
  }
  if (!saved) throw gone();
  return saved;
}

/**
 * The new renditions, each stored a second or more after the version it
 * replaces, so a download's Last-Modified names one version.
 */
function stamped(
  renditions: Track['renditions'],
  current: Track,
): Track['renditions'] {
  const now = new Date();
  const out: Track['renditions'] = {};
  for (const r of Object.values(renditions)) {
    const previous = current.renditions[r.format]?.storedAt;
    out[r.format] = { ...r, storedAt: nextStoredAt(previous, now) };
  }
  return out;
}
