import type { BlockList } from 'node:net';
import { Router } from 'express';
import {
  ApiError,
  CUSTOM_PREFIX,
  PARTY_FIELD_PATTERNS,
  STANDARD_FIELDS,
  type Job,
  type Site,
  type Upload,
} from '@ingest/core';
import type { StateStore, UpdateStore, UploadPatch } from '@ingest/state';
import { API_ENDPOINTS } from '../api/endpoints';
import { endpoint, type EndpointDeps } from '../http/endpoint';
import { id, requireId, text, type Params } from '../http/params';
import { readEmail, readNotifyTarget } from '../jobs/notify-target';
import type { Publisher } from '../jobs/publisher';
import {
  checkMeta,
  checkMetaSize,
  parseFormats,
  type UploadService,
} from '../uploads/upload-service';
import type { FileSpool } from '../uploads/file-spool';
import { notWaitingError } from '../uploads/not-waiting';
import type { UploadMetrics } from '../uploads/upload-metrics';
import type { UploadDeleter } from '../uploads/upload-deleter';
import type { TrackUpdateService } from '../uploads/track-update-service';
import { deleteEndpoint } from './delete-endpoint';
import type { SiteQuota } from '../uploads/site-quota';
import { uploadEndpoint } from './upload-endpoint';
import {
  presentRendition,
  presentUpdate,
  presentUpload,
  sourceFacts,
} from './presenters';

export interface ImportRouteDeps extends EndpointDeps {
  store: StateStore;
  /** A job's deferred track updates, which `list` shows. */
  updates: UpdateStore;
  uploads: UploadService;
  /** Holds multipart files sent before their token. */
  spool: FileSpool;
  publisher: Publisher;
  publicUrl: string;
  /** How long a site's upload slot may be held, at most. */
  uploadSlotLeaseMs: number;
  uploadMetrics?: UploadMetrics;
  deleter: UploadDeleter;
  /** `upload` with `track_id`: updates of published tracks. */
  trackUpdates: TrackUpdateService;
  /** INGEST_ALLOW_PRIVATE_URLS, for `oncomplete` URLs; default true. */
  allowPrivateUrls?: boolean;
  /**
   * Proxies whose X-Forwarded-For names the client whose spool places a
   * file takes (INGEST_TRUST_PROXY); none: the peer's address names it.
   */
  trustedProxies?: BlockList;
  /** INGEST_SITE_QUOTA: checked before a multipart file is stored. */
  quota?: SiteQuota;
}

/** The SourceAudio-compatible `/api/import/*` endpoints (SPEC §2). */
export function importRoutes(deps: ImportRouteDeps): Router {
  const router = Router();
  const { store } = deps;

  async function jobOf(site: Site, params: Params): Promise<Job> {
    const jobId = id(params, 'job_id');
    if (jobId === undefined) return store.mainJob(site.id);
    const job = await store.getJob(site.id, jobId);
    if (!job) throw new ApiError('not_found', `job ${jobId} not found`);
    return job;
  }

  async function queuedUpload(site: Site, params: Params) {
    const uploadId = requireId(params, 'upload_id');
    const upload = await store.getUpload(site.id, uploadId);
    if (!upload) {
      throw new ApiError('not_found', `upload ${uploadId} not found`);
    }
    if (upload.status !== 'uploaded') {
      throw notWaitingError(
        `upload ${uploadId}`,
        upload.status,
        'it can no longer change',
      );
    }
    return upload;
  }

  router.all(
    '/upload',
    uploadEndpoint({ ...deps, metrics: deps.uploadMetrics }),
  );

  router.all('/delete', deleteEndpoint(deps));

  /**
   * Changes a waiting upload as it is when written (another change, a
   * delete or a publish may come between the read and the write).
   */
  async function patchUpload(
    upload: Upload,
    change: (current: Upload) => UploadPatch,
  ): Promise<Upload> {
    const result = await store.patchWaiting(upload.id, change);
    if (result.outcome === 'patched') return result.after;
    if (result.status === 'missing') {
      throw new ApiError('not_found', `upload ${upload.id} not found`);
    }
    throw notWaitingError(
      `upload ${upload.id}`,
      result.status,
      'it can no longer change',
    );
  }

  router.all(
    '/setMetadata',
    endpoint(deps, async ({ site, params }) => {
      const upload = await queuedUpload(site, params);
      const given = checkMeta(site, params.meta);
      const changed = await patchUpload(upload, (current) => {
        const meta = { ...current.meta };
        for (const [field, value] of Object.entries(given)) {
          if (value.trim() === '') delete meta[field];
          else meta[field] = value;
        }
        checkMetaSize(meta);
        return { meta };
      });
      return { result: 'success', upload_id: upload.id, meta: changed.meta };
    }, { schema: API_ENDPOINTS.setMetadata.params }),
  );

  router.all(
    '/setFormats',
    endpoint(deps, async ({ site, params }) => {
      const upload = await queuedUpload(site, params);
      const formats = parseFormats(params);
      if (!formats) {
        throw new ApiError('invalid_parameter', 'formats is required', {
          parameters: ['formats'],
        });
      }
      const changed = await patchUpload(upload, () => ({
        formats,
        formatsGiven: true,
      }));
      return { result: 'success', track: presentUpload(changed) };
    }, { schema: API_ENDPOINTS.setFormats.params }),
  );

  router.all(
    '/getAvailableFields',
    endpoint(deps, async ({ site }) => ({
      fields: [...STANDARD_FIELDS, ...PARTY_FIELD_PATTERNS],
      custom_fields: site.customFields.map((name) => CUSTOM_PREFIX + name),
    }), { schema: API_ENDPOINTS.getAvailableFields.params, readOnly: true }),
  );

  router.all(
    '/createJob',
    endpoint(deps, async ({ site, params }) => {
      // `oncomplete` is one per job (SPEC §2): a client that names it
      // here means this job, and a dropped value would be a lost notice.
      const job = await store.createJob(site.id, {
        name: text(params, 'name'),
        email: readEmail(params, 'email'),
        oncomplete: readNotifyTarget(params, deps.allowPrivateUrls),
      });
      return { job_id: job.id };
    }, { idempotent: {}, schema: API_ENDPOINTS.createJob.params }),
  );

  router.all(
    '/publish',
    endpoint(deps, async ({ site, params, requestId }) => {
      const job = await jobOf(site, params);
      const { queued } = await deps.publisher.publish(
        job,
        requestId,
        readNotifyTarget(params, deps.allowPrivateUrls),
      );
      const current = await store.jobById(job.id);
      return {
        result: 'success',
        job_id: job.id,
        queued,
        oncomplete: current?.oncomplete ?? null,
      };
    }, { idempotent: {}, schema: API_ENDPOINTS.publish.params }),
  );

  router.all(
    '/checkJob',
    endpoint(deps, async ({ site, params }) => {
      const job = await jobOf(site, params);
      const counts = await store.counts(job.id);
      const deliveries = await store.deliveries.list(job.id);
      return { job_id: job.id, state: job.state, ...counts, deliveries };
    }, { schema: API_ENDPOINTS.checkJob.params, readOnly: true }),
  );

  router.all(
    '/list',
    endpoint(deps, async ({ site, params }) => {
      const job = await jobOf(site, params);
      const uploads = await store.listUploads(job.id);
      // They count in checkJob's q/i/d/e as uploads do: listed too.
      const updates = await deps.updates.many(await deps.updates.idsOf(job.id));
      const trackIds = uploads.flatMap((u) =>
        u.status === 'published' && u.trackId ? [u.trackId] : [],
      );
      const tracks = new Map(
        (await store.tracksOf(trackIds)).map((t) => [t.id, t]),
      );
      return {
        job_id: job.id,
        state: job.state,
        tracks: uploads.map((upload) => {
          const trackId =
            upload.status === 'published' ? upload.trackId : undefined;
          // A deleted track keeps its id here; only its renditions go.
          const track = trackId ? tracks.get(trackId) : undefined;
          return {
            upload_id: upload.id,
            track_id: trackId ?? null,
            status: upload.status,
            formats: upload.formats,
            ...(upload.error
              ? { error: upload.error, error_code: upload.errorCode }
              : {}),
            ...sourceFacts(upload),
            ...(track
              ? {
                  renditions: Object.fromEntries(
                    Object.values(track.renditions).map((r) => [
                      r.format,
                      presentRendition(r, track, deps.publicUrl),
                    ]),
                  ),
                }
              : {}),
          };
        }),
        ...(updates.length > 0
          ? {
              updates: updates.map((u) => ({
                track_id: u.trackId,
                ...presentUpdate(u),
              })),
            }
          : {}),
      };
    }, { schema: API_ENDPOINTS.list.params, readOnly: true }),
  );

  return router;
}
