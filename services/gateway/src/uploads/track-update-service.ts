import {
  ApiError,
  PartlyDoneError,
  isOutputFormat,
  renditionBytes,
  type Job,
  type Meta,
  type OutputFormat,
  type Site,
  type Track,
  type TrackUpdate,
} from '@ingest/core';
import {
  isRedisOutOfMemory,
  isRedisTimeout,
  jobIds,
  type TypedQueue,
} from '@ingest/queue';
import type { StateStore, UpdateStore } from '@ingest/state';
import type { Storage } from '@ingest/storage';
import type { Logger } from '@ingest/telemetry';
import { echoed, echoText } from '../api/param-schemas';
import { readNotifyTarget } from '../jobs/notify-target';
import { flag, id, requireId, text, type Params } from '../http/params';
import { inspectStored, type SourceInspector } from './source-inspector';
import type { Autopublisher } from '../jobs/autopublisher';
import {
  checkMeta,
  openJobFor,
  parseFormats,
  type ReceivedSource,
} from './upload-service';
import { removeRefusedSource, removeSource, type SiteQuota } from './site-quota';
import { noteStored } from './autopublish-notes';

/**
 * How long after it was stored an immediate update still `queued` with
 * no transcode job counts as stuck: its own call has long given up on
 * queueing it by then (a Redis command waits REDIS_COMMAND_TIMEOUT_MS,
 * 10 s, at most).
 */
const STUCK_AFTER_MS = 60_000;

export interface TrackUpdateDeps {
  store: StateStore;
  updates: UpdateStore;
  storage: Storage;
  inspector: SourceInspector;
  transcode: TypedQueue<'transcode'>;
  /** Told of every deferred update: with `autopublish=1`, and without. */
  autopublisher?: Pick<Autopublisher, 'noteUpload' | 'noteGrowth'>;
  logger: Logger;
  /** Counts the bytes of sources removed (INGEST_SITE_QUOTA). */
  quota?: SiteQuota;
  /** INGEST_ALLOW_PRIVATE_URLS, for `oncomplete` URLs; default true. */
  allowPrivateUrls?: boolean;
}

/** What `upload` with `track_id` answers (SPEC §2). */
export interface UpdateAnswer {
  result: 'uploaded';
  update_to: number;
  update_id: number;
}

/** The checks of an update call that need no bytes, done first. */
export interface UpdateRequest {
  track: Track;
  immediate: boolean;
  /** The job a deferred update waits in; none when immediate. */
  job?: Job;
  toMainJob: boolean;
  formats: OutputFormat[];
  meta?: Meta;
  oncomplete?: string;
  /** Deferred updates only: an immediate one belongs to no job. */
  autopublish: boolean;
}

/**
 * Updates of published tracks: `upload` with `track_id`. The new source
 * replaces the renditions in `format` (default: all the track's formats)
 * at once with `immediate=1`, otherwise when its job publishes. The
 * transcoder applies it; the track keeps its id.
 */
export class TrackUpdateService {
  constructor(private readonly deps: TrackUpdateDeps) {}

  async prepare(site: Site, params: Params, ownBytes?: number): Promise<UpdateRequest> {
    const trackId = requireId(params, 'track_id');
    if (id(params, 'upload_id') !== undefined) {
      throw new ApiError(
        'invalid_parameter',
        'track_id and upload_id cannot be used together',
        { parameters: ['track_id', 'upload_id'] },
      );
    }
    const track = await this.deps.store.getTrack(site.id, trackId);
    if (!track) throw new ApiError('not_found', `track ${trackId} not found`);
    const formats = formatsOf(params, track);
    // The renditions it replaces go as it is applied: a site at its
    // quota may still replace them with what fits in their room.
    await this.deps.quota?.refuseWhenFull(site.id, ownBytes, renditionBytes(track, formats));

    const immediate = flag(params, 'immediate');
    const jobId = id(params, 'job_id');
    let job: Job | undefined;
    if (!immediate) {
      job = await openJobFor(
        this.deps.store,
        site,
        jobId,
        'update in a new job',
      );
    }

    return {
      track,
      immediate,
      job,
      toMainJob: jobId === undefined,
      formats,
      meta: params.hasMeta ? checkMeta(site, params.meta) : undefined,
      oncomplete: readNotifyTarget(params, this.deps.allowPrivateUrls),
      autopublish: !immediate && flag(params, 'autopublish'),
    };
  }

  /**
   * Makes the stored source an update of the track; the stored file is
   * removed when the update is refused, and kept once an update names
   * it, whatever fails after (its transcode job, oncomplete, autopublish).
   */
  async accept(
    site: Site,
    request: UpdateRequest,
    received: ReceivedSource,
    requestId?: string,
  ): Promise<UpdateAnswer> {
    let update: TrackUpdate;
    try {
      update = await this.acceptStored(site, request, received);
    } catch (err) {
      await removeRefusedSource(this.deps, received.storageKey, err);
      throw err;
    }
    return this.followUp(request, update, requestId);
  }

  private async acceptStored(
    site: Site,
    request: UpdateRequest,
    received: ReceivedSource,
  ): Promise<TrackUpdate> {
    const inspection = await inspectStored(
      this.deps.inspector,
      this.deps.storage,
      received,
    );

    const { track } = request;
    const input = {
      siteId: site.id,
      trackId: track.id,
      uploadId: track.uploadId,
      jobId: request.job?.id ?? 0,
      immediate: request.immediate,
      formats: request.formats,
      sources: {
        [inspection.format]: { format: inspection.format, ...received },
      },
      meta: request.meta,
    };
    let update = await this.deps.updates.add(input);
    if (update === 'closed' && request.toMainJob) {
      // The main job was published while the source was fetched.
      const main = await this.deps.store.mainJob(site.id);
      update = await this.deps.updates.add({ ...input, jobId: main.id });
    }
    // Deleted while the source was fetched: as if it had been before.
    if (update === 'missing') {
      throw new ApiError('not_found', `track ${track.id} not found`);
    }
    if (update === 'closed') {
      throw new ApiError('job_closed', `job ${input.jobId} was published`);
    }
    return update;
  }

  /** What follows a stored update: its transcode, or its job's notices. */
  private async followUp(
    request: UpdateRequest,
    update: TrackUpdate,
    requestId?: string,
  ): Promise<UpdateAnswer> {
    const { track } = request;
    if (update.immediate) {
      await this.queueImmediate(update, requestId);
    } else {
      await noteStored(this.deps, update.jobId, request, { update_id: update.id });
    }
    await this.requeueStuck(update, requestId);
    this.deps.logger.info(
      {
        trackId: track.id,
        updateId: update.id,
        jobId: update.jobId || undefined,
        immediate: update.immediate,
        formats: update.formats,
      },
      'track update accepted',
    );
    return { result: 'uploaded', update_to: track.id, update_id: update.id };
  }

  /**
   * Queues an immediate update's transcode. Nothing else would ever run
   * it, and delete takes only updates waiting in a job: when the queue
   * refuses, the update is errored (unless a run took it after all, the
   * job being there), its source removed, and the answer names it.
   */
  private async queueImmediate(update: TrackUpdate, requestId?: string) {
    let cause: unknown;
    try {
      await this.deps.transcode.add(
        'transcode',
        { uploadId: update.uploadId, updateId: update.id, requestId },
        { jobId: jobIds.transcode(update.uploadId, update.id) },
      );
      return;
    } catch (err) {
      if (isRedisTimeout(err)) throw stalledQueueing(update, err);
      // A full Redis is told once for the gateway, with the answer
      // (endpoint.ts), as for any call that meets it.
      if (isRedisOutOfMemory(err)) cause = err;
      else this.deps.logger.error({ err, updateId: update.id }, 'update not queued');
    }
    const marked = await this.deps.updates
      .errorUnstarted(update.id, {
        error: 'its transcode could not be queued; send the update again',
        errorCode: 'internal',
      })
      .then(
        (errored) => (errored ? 'errored' : 'taken'),
        () => 'unmarked',
      );
    if (marked === 'errored') await this.removeSources(update);
    const state = {
      errored: 'it was marked errored and the track is as it was: send it again',
      taken: "a transcoder took it all the same: getById's updates show how it ends",
      unmarked:
        'nor could it be marked errored, so it may stay queued ' +
        "(getById's updates show it): send it again",
    }[marked];
    const message =
      `track update ${update.id} was stored, but its transcode could not be ` +
      `queued; ${state}`;
    // Errored, it stands no more: a retry with the key may run anew, and
    // the answer names no update_id, which tells a client (the SDK) that
    // what it names stands and is not to be sent again.
    const refusal =
      marked === 'errored'
        ? new ApiError('internal', message)
        : new PartlyDoneError('internal', message, { update_id: update.id });
    if (cause !== undefined) refusal.cause = cause;
    throw refusal;
  }

  /**
   * Queues again the track's older immediate updates still `queued`
   * with no transcode job STUCK_AFTER_MS after they were stored: one
   * whose queueing Redis did not answer in time (answered 503) and that
   * never reached it (the connection or the gateway was lost with it)
   * would otherwise wait for ever. A younger one may still be queued by
   * its own call. Safe in any
   * order and twice: the transcoder applies a track's updates by id
   * (core's update-order.ts), and a finished update never runs again.
   * Best effort, after `update` is stored and queued: a failure is
   * logged, not answered.
   */
  private async requeueStuck(update: TrackUpdate, requestId?: string): Promise<void> {
    try {
      const older = await this.deps.updates.ofTrack(update.trackId);
      const before = Date.now() - STUCK_AFTER_MS;
      for (const stuck of older) {
        if (stuck.id >= update.id || !stuck.immediate || stuck.status !== 'queued') continue;
        if (!(Date.parse(stuck.createdAt) < before)) continue;
        const jobId = jobIds.transcode(stuck.uploadId, stuck.id);
        if (await this.deps.transcode.getJob(jobId)) continue;
        const data = { uploadId: stuck.uploadId, updateId: stuck.id, requestId };
        await this.deps.transcode.add('transcode', data, { jobId });
        this.deps.logger.warn({ updateId: stuck.id }, 'stuck update queued again');
      }
    } catch (err) {
      this.deps.logger.warn({ err, updateId: update.id }, 'stuck updates not looked for');
    }
  }

  /** Removes an errored update's sources; one left is only wasted room. */
  private async removeSources(update: TrackUpdate): Promise<void> {
    try {
      for (const source of Object.values(update.sources)) {
        await removeSource(this.deps, source.storageKey);
      }
      await this.deps.updates.sourcesRemoved(update.id);
    } catch (err) {
      this.deps.logger.warn({ err, updateId: update.id }, 'update source not removed');
    }
  }
}

/**
 * The renditions an update replaces: `format` (one), or `formats`, or
 * every format the track has.
 */
function formatsOf(params: Params, track: Track): OutputFormat[] {
  const one = text(params, 'format')?.toLowerCase();
  if (one !== undefined) {
    if (!isOutputFormat(one)) {
      throw new ApiError(
        'invalid_format',
        `unknown format: ${echoText([one])}; use mp3, wav, aiff, flac`,
        { formats: echoed([one]) },
      );
    }
    return [one];
  }
  const given = parseFormats(params);
  if (given) return given;
  return Object.keys(track.renditions).filter(isOutputFormat);
}

/**
 * An immediate update whose queueing Redis did not answer in time. The
 * add was sent and will most likely run once Redis goes on, so the
 * update is not errored (that would wait out another timeout too): the
 * answer is 503 naming it, at once, as for any call meeting a stall.
 */
function stalledQueueing(update: TrackUpdate, err: unknown): PartlyDoneError {
  const refusal = new PartlyDoneError(
    'not_ready',
    `track update ${update.id} was stored, but Redis did not answer in time ` +
      "as its transcode was queued; it may still run: getById's updates show " +
      'how it ends',
    { update_id: update.id },
  );
  // Logged with the answer (endpoint.ts).
  refusal.cause = err;
  return refusal;
}
