import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Track, Upload } from '@ingest/core';
import {
  jobIds,
  type StorageWait,
  type TypedJob,
  type TypedQueue,
} from '@ingest/queue';
import type {
  MoveResult,
  SiteReservations,
  SiteUsage,
  StateStore,
} from '@ingest/state';
import type { LocalCopy, Storage } from '@ingest/storage';
import type { Logger } from '@ingest/telemetry';
import {
  UploadFault,
  finalFailure,
  type MadeRendition,
  type RenditionMaker,
} from './rendition-maker';
import { outOfRoomFailure } from './out-of-room';
import {
  quotaBudget,
  QuotaBudget,
  refuseWhenFull,
  releaseBudget,
} from './quota-budget';

export interface ProcessorDeps {
  store: StateStore;
  storage: Storage;
  maker: RenditionMaker;
  completion: TypedQueue<'completion'>;
  /** Search indexing of published tracks (done by the notifier). */
  index: TypedQueue<'index'>;
  logger: Logger;
  /** Parent of the per-run temp folders. */
  workDir: string;
  /** Aborted when a draining transcoder gives its runs back. */
  signal?: AbortSignal;
  /** Tells the runs that storage being away puts back, not fails. */
  storageWait?: Pick<StorageWait<TypedJob<'transcode'>>, 'holds'>;
  /**
   * Bytes each site holds in storage (renditions counted as tracks
   * record them); with `quotaBytes` (INGEST_SITE_QUOTA) and
   * `reservations` it bounds renditions, each run holding its share.
   */
  usage?: SiteUsage;
  quotaBytes?: number;
  reservations?: SiteReservations;
  /** How long a run's quota hold lasts unless renewed, ms. Default 60 s. */
  holdTtlMs?: number;
  /** Called with each finished rendition's format and seconds taken. */
  onRendition?: (rendition: MadeRendition, seconds: number) => void;
}

/** What a run came to; failures that deserve a retry throw instead. */
export type Outcome =
  | { outcome: 'published'; trackId: number }
  | { outcome: 'errored'; code: string }
  | { outcome: 'skipped'; reason: 'missing' | 'finished' };

/**
 * Transcodes one upload into its renditions and publishes its track.
 * Safe to run twice for the same upload, also at once: the track id is
 * claimed once, each run stores files of its own, only the first to
 * finish saves the track, and a finished upload is left alone.
 */
export function transcodeProcessor(deps: ProcessorDeps) {
  const { store } = deps;

  async function finish(
    upload: Upload,
    outcome: Outcome,
    jobState: string,
    requestId: string | undefined,
  ) {
    if (jobState === 'complete') {
      await announceCompletion(deps, upload.jobId, requestId);
    }
    return outcome;
  }

  /** Asks for the track to be indexed; a published track is not yet. */
  async function announceTrack(uploadId: number, trackId: number) {
    await deps.index.add(
      'index',
      { trackId, op: 'add' },
      { jobId: jobIds.index(trackId, 'add', `u${uploadId}`) },
    );
  }

  /**
   * A run of an upload whose work was done (a redelivery, or another run
   * finished first): makes sure the job's track and completion were
   * announced, then does nothing.
   */
  async function alreadyFinished(upload: Upload, requestId?: string) {
    if (upload.status === 'published' && upload.trackId) {
      await announceTrack(upload.id, upload.trackId);
    }
    const state = (await store.jobById(upload.jobId))?.state ?? '';
    return finish(upload, { outcome: 'skipped', reason: 'finished' }, state, requestId);
  }

  return async (job: TypedJob<'transcode'>): Promise<Outcome> => {
    const { uploadId, requestId } = job.data;
    const upload = await store.uploadById(uploadId);
    if (!upload) return { outcome: 'skipped', reason: 'missing' };
    // jobId joins these lines to the notifier's for the same job.
    const log = deps.logger.child({
      queue: 'transcode',
      bullJobId: job.id,
      uploadId,
      jobId: upload.jobId,
      attempt: job.attemptsMade + 1,
      requestId,
    });
    if (upload.status === 'published' || upload.status === 'error') {
      return alreadyFinished(upload, requestId);
    }

    await store.moveUpload(upload, 'transcoding');
    const started = Date.now();
    log.info('transcode started');

    const budget = quotaBudget(deps, upload.siteId);
    try {
      const made = await makeRenditions(deps, upload, undefined, budget);
      const trackId = await store.claimTrackId(upload.id);
      const track = await storeTrack(deps, upload, trackId, made);
      // Counts the renditions and gives the budget's hold back with it.
      const moved = track && (await store.tracks.publish(upload, track, budget?.runId));
      // Files of runs that lost or died; this run's own if it lost.
      if (moved) await removeFiles(deps, upload.siteId, moved.unused);
      if (!moved?.moved) {
        // Another run of the upload (one taken back while this one still
        // ran) finished first: its track stands, also if deleted since.
        log.info({ trackId }, 'transcode finished by another run');
        const now = await store.uploadById(upload.id);
        if (!now) return { outcome: 'skipped', reason: 'missing' };
        return alreadyFinished(now, requestId);
      }
      await announceTrack(upload.id, trackId);
      log.info(
        { trackId, durationMs: Date.now() - started },
        'transcode completed',
      );
      return finish(
        upload,
        { outcome: 'published', trackId },
        moved.jobState,
        requestId,
      );
    } catch (err) {
      // Handed back on shutdown: not the upload's fault, not an attempt;
      // it waits again until another transcoder takes it.
      if (deps.signal?.aborted) {
        await store.moveUpload(upload, 'queued');
        log.info({ durationMs: Date.now() - started }, 'transcode handed back');
        throw err;
      }
      // The store is away: not an attempt; the run is put back delayed
      // (StorageWait.wrap) and the upload waits queued.
      if (deps.storageWait?.holds(job, err)) {
        await store.moveUpload(upload, 'queued');
        throw err;
      }
      const attempt = job.attemptsMade + 1;
      const failure = finalFailure(
        err,
        attempt,
        attempt >= (job.opts.attempts ?? 1),
        'transcoding',
      );
      if (!failure) {
        log.warn({ err, durationMs: Date.now() - started }, 'transcode failed');
        throw err;
      }
      const { code } = failure;
      const moved = await errorUpload(deps, upload, failure);
      log.info(
        { code, durationMs: Date.now() - started },
        'transcode errored upload',
      );
      return finish(
        upload,
        { outcome: 'errored', code },
        moved.jobState,
        requestId,
      );
    } finally {
      await releaseBudget(deps, budget);
    }
  };
}

/** Tells the notifier that the job is complete (it sends what is due). */
export async function announceCompletion(
  deps: Pick<ProcessorDeps, 'completion'>,
  jobId: number,
  requestId: string | undefined,
): Promise<void> {
  await deps.completion.add(
    'completion',
    // The notifier's lines carry on the request id of the run's call.
    { jobId, requestId },
    { jobId: jobIds.completion(jobId) },
  );
}

/**
 * Errors the upload, unless it is finished already, and then removes
 * the files its runs noted that no track names: those of runs that died
 * after storing them.
 */
export async function errorUpload(
  deps: ProcessorDeps,
  upload: Pick<Upload, 'id' | 'jobId' | 'siteId' | 'sources'>,
  failure: { code: string; reason: string },
): Promise<MoveResult> {
  const moved = await deps.store.moveUpload(upload, 'error', {
    error: failure.reason,
    errorCode: failure.code,
  });
  // Files of earlier runs that died after storing them, and the sources:
  // an errored upload is never transcoded again, nor can it be deleted
  // (its job is published), so kept they held the site's
  // INGEST_SITE_QUOTA for good.
  if (moved.moved) {
    const unused = await deps.store.tracks.takeFiles(upload.id);
    await removeFiles(deps, upload.siteId, [
      ...unused,
      ...sourceKeys(upload.sources),
    ]);
    await deps.store.tracks.sourcesRemoved(upload.id);
  }
  return moved;
}

/**
 * Makes and verifies the renditions of a set of sources, in a temp dir.
 * `coverFrom` is the storage key of a file whose picture the mp3 keeps
 * when the sources hold none (see MakeRequest).
 */
export async function makeRenditions(
  deps: ProcessorDeps,
  upload: Pick<Upload, 'id' | 'siteId' | 'sources' | 'formats' | 'meta'>,
  coverFrom?: string,
  budget?: QuotaBudget,
) {
  await refuseWhenFull(deps, upload.siteId, budget?.credit);
  await mkdir(deps.workDir, { recursive: true });
  const outDir = await mkdtemp(path.join(deps.workDir, `u${upload.id}-`));
  const copies: LocalCopy[] = [];
  try {
    const sources: Record<string, string> = {};
    for (const [format, source] of Object.entries(upload.sources)) {
      const exists = await deps.storage.size(source.storageKey);
      if (exists === undefined) {
        throw new UploadFault('source_missing', 'the stored source is gone');
      }
      const copy = await deps.storage.localCopy(source.storageKey);
      copies.push(copy);
      sources[format] = copy.path;
    }

    const kept = coverFrom ? await keptCopy(deps, coverFrom) : undefined;
    if (kept) copies.push(kept);

    const started = Date.now();
    const made = await deps.maker.make({
      sources,
      formats: upload.formats,
      meta: upload.meta,
      coverFrom: kept?.path,
      outDir,
      signal: deps.signal,
      ...(budget ? { budget: (need: number) => budget.take(need) } : {}),
    });
    const seconds = (Date.now() - started) / 1000;
    for (const rendition of made) deps.onRendition?.(rendition, seconds);
    return { made, outDir };
  } catch (err) {
    await rm(outDir, { recursive: true, force: true });
    for (const copy of copies.splice(0)) await copy.release();
    throw await outOfRoomFailure(deps.workDir, err);
  } finally {
    for (const copy of copies) await copy.release();
  }
}

/**
 * A local copy of a file kept for its picture. One gone meanwhile (the
 * track replaced or deleted) just means no kept picture.
 */
async function keptCopy(
  deps: ProcessorDeps,
  storageKey: string,
): Promise<LocalCopy | undefined> {
  return deps.storage.localCopy(storageKey).catch((err: unknown) => {
    deps.logger.warn({ err, storageKey }, 'kept cover not copied');
    return undefined;
  });
}

/**
 * Moves the made files into storage under keys of this run's own
 * (`tracks/<id>/<fmt>.<run>.<fmt>`): another run of the upload (taken
 * back while this one still ran, or one after this died) never writes
 * over, nor removes, the files a published track's record names and
 * whose bytes its sha256 (the download's ETag) names. A run that fails
 * removes the files it stored; the keys are noted for the upload first,
 * so that the run finishing it removes those of a run that died.
 * Undefined, storing nothing, when the upload finished meanwhile.
 */
async function storeTrack(
  deps: ProcessorDeps,
  upload: Upload,
  trackId: number,
  { made, outDir }: { made: MadeRendition[]; outDir: string },
): Promise<Track | undefined> {
  const run = randomUUID().slice(0, 8);
  const files = made.map(({ path: file, ...facts }) => {
    const storageKey = `tracks/${trackId}/${facts.format}.${run}.${facts.format}`;
    return { file, rendition: { ...facts, storageKey } };
  });
  const own = files.map(({ rendition }) => rendition.storageKey);
  try {
    // Noted first: should this run die midway, the run that finishes
    // the upload removes them.
    if (!(await deps.store.tracks.noteFiles(upload.id, own))) return undefined;
    const renditions: Track['renditions'] = {};
    // Counted as the site's when the publish records them.
    for (const { file, rendition } of files) {
      await deps.storage.putFile(rendition.storageKey, file);
      renditions[rendition.format] = rendition;
    }
    const createdAt = new Date().toISOString();
    for (const rendition of Object.values(renditions)) {
      rendition.storedAt = createdAt;
    }
    return {
      id: trackId,
      siteId: upload.siteId,
      uploadId: upload.id,
      jobId: upload.jobId,
      meta: upload.meta,
      renditions,
      createdAt,
    };
  } catch (err) {
    await removeFiles(deps, upload.siteId, own);
    throw err;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** The storage keys of an upload's or update's sources. */
export function sourceKeys(sources: Upload['sources']): string[] {
  return Object.values(sources).map((source) => source.storageKey);
}

/**
 * Removes stored files no track names: renditions of runs that lost (in
 * no record, so never counted as the site's) and sources done with
 * (counted when stored, so uncounted here, before the removal: see
 * SiteUsage.remove).
 */
export async function removeFiles(
  deps: ProcessorDeps,
  siteId: number,
  storageKeys: string[],
): Promise<void> {
  for (const storageKey of storageKeys) {
    const removeFile = () => deps.storage.delete(storageKey);
    try {
      if (deps.usage) await deps.usage.remove(siteId, storageKey, removeFile);
      else await removeFile();
    } catch (err) {
      deps.logger.warn({ err, storageKey }, 'unused file not removed');
    }
  }
}
