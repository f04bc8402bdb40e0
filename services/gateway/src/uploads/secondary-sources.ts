import path from 'node:path';
import {
  ApiError,
  defaultFormats,
  matchStemOf,
  mergeMeta,
  type Job,
  type Meta,
  type OutputFormat,
  type Site,
  type SourceFile,
  type Upload,
} from '@ingest/core';
import type { SourceIndex, StateStore } from '@ingest/state';
import type { Storage } from '@ingest/storage';
import type { Logger } from '@ingest/telemetry';
import { notWaitingError } from './not-waiting';
import { removeSource, type SiteQuota } from './site-quota';

const TOO_LATE = 'sources can be added only before its job is published';

export interface SecondarySourcesDeps {
  store: StateStore;
  index: SourceIndex;
  storage: Storage;
  logger: Logger;
  /** Counts the bytes of sources removed (INGEST_SITE_QUOTA). */
  quota?: SiteQuota;
}

/** The parts of an upload call that decide where a source goes. */
export interface AttachRequest {
  job: Job;
  /** `upload_id`: attach to this upload, whatever the file's name. */
  attachTo?: number;
  meta?: Meta;
  formats?: OutputFormat[];
}

/**
 * The stem a file name is indexed under, or undefined when the name has
 * no extension (then nothing can be "the same name, another extension").
 */
export function sourceStem(fileName: string): string | undefined {
  if (!path.extname(fileName)) return undefined;
  const stem = matchStemOf(fileName);
  return stem === '' ? undefined : stem;
}

const extOf = (name: string | undefined) =>
  path.extname(name ?? '').toLowerCase();

/**
 * Secondary sources (SPEC §2): a source sent with `upload_id`, or with
 * the file name of a waiting upload of the same open job but another
 * extension (case-insensitive), becomes that upload's source of its
 * format. No upload is made; a source of a format the upload has
 * replaces the stored one.
 */
export class SecondarySources {
  constructor(private readonly deps: SecondarySourcesDeps) {}

  /** The upload the source was attached to, or undefined for none. */
  async attach(
    site: Site,
    request: AttachRequest,
    source: SourceFile,
  ): Promise<Upload | undefined> {
    const target = await this.targetOf(site, request, source);
    if (!target) return undefined;

    const result = await this.deps.index.patchWaiting(target.id, (upload) => {
      const sources = { ...upload.sources, [source.format]: source };
      const formatsGiven = upload.formatsGiven || request.formats !== undefined;
      const formats =
        request.formats ??
        (upload.formatsGiven
          ? upload.formats
          : defaultFormats(Object.keys(sources)));
      const meta = request.meta
        ? mergeMeta(upload.meta, request.meta)
        : upload.meta;
      return { sources, formats, formatsGiven, meta };
    });
    if (result.outcome === 'not_waiting') {
      if (request.attachTo === undefined) return undefined;
      if (result.status === 'missing') {
        throw new ApiError('not_found', `upload ${target.id} not found`);
      }
      throw notWaitingError(`upload ${target.id}`, result.status, TOO_LATE);
    }

    const replaced = result.before.sources[source.format];
    if (replaced && replaced.storageKey !== source.storageKey) {
      try {
        await removeSource(this.deps, replaced.storageKey);
      } catch (err) {
        // Only wasted space: the upload no longer refers to it.
        this.deps.logger.warn(
          { err, uploadId: target.id, format: source.format },
          'replaced source not removed',
        );
      }
    }
    this.deps.logger.info(
      {
        uploadId: target.id,
        format: source.format,
        replaced: Boolean(replaced),
        by: request.attachTo === undefined ? 'name' : 'upload_id',
      },
      'secondary source attached',
    );
    return result.after;
  }

  /**
   * Checks an `upload_id` before any byte is fetched: another site's or
   * a missing upload is not found, a published one takes no source. The
   * attach itself checks again, atomically.
   */
  async checkTarget(
    site: Site,
    uploadId: number,
    jobId?: number,
  ): Promise<void> {
    const upload = await this.deps.store.getUpload(site.id, uploadId);
    if (!upload) {
      throw new ApiError('not_found', `upload ${uploadId} not found`);
    }
    if (jobId !== undefined && upload.jobId !== jobId) {
      throw new ApiError(
        'invalid_parameter',
        `upload ${uploadId} is in job ${upload.jobId}, not job ${jobId}; ` +
          'leave job_id out to attach a source to it',
        { parameters: ['upload_id', 'job_id'] },
      );
    }
    if (upload.status !== 'uploaded') {
      throw notWaitingError(`upload ${uploadId}`, upload.status, TOO_LATE);
    }
  }

  private async targetOf(
    site: Site,
    request: AttachRequest,
    source: SourceFile,
  ): Promise<Upload | undefined> {
    if (request.attachTo !== undefined) {
      const upload = await this.deps.store.getUpload(site.id, request.attachTo);
      if (!upload) {
        throw new ApiError('not_found', `upload ${request.attachTo} not found`);
      }
      return upload;
    }

    const stem = sourceStem(source.filename);
    if (!stem) return undefined;
    const upload = await this.deps.index.uploadOfStem(request.job.id, stem);
    // The same name again (any case) is another upload, not a source.
    if (!upload || extOf(upload.fileName) === extOf(source.filename)) {
      return undefined;
    }
    return upload.siteId === site.id ? upload : undefined;
  }
}
