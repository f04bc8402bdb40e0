import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  ApiError,
  defaultFormats,
  isOutputFormat,
  unknownFields,
  type Job,
  type Meta,
  type OutputFormat,
  type Site,
  type SourceFile,
  type Upload,
} from '@ingest/core';
import type { StateStore } from '@ingest/state';
import { ObjectTooLargeError, type Storage } from '@ingest/storage';
import { parseNotifyTarget } from '../jobs/notify-target';
import { id, list, text, type Params } from '../http/params';
import type { SourceInspector } from './source-inspector';
import { displayName, nameFromUrl } from './source-name';

/** A source stored under a key of ours, not yet part of an upload. */
export interface ReceivedSource {
  storageKey: string;
  filename: string;
  bytes: number;
  sha256: string;
}

/** Opens the body of a source URL; throws ApiError with the reason. */
export type SourceFetcher = (url: string) => Promise<Readable>;

export interface UploadServiceDeps {
  store: StateStore;
  storage: Storage;
  inspector: SourceInspector;
  fetchSource: SourceFetcher;
  maxSourceBytes: number;
}

/** What `upload` answers (SPEC §2). */
export interface UploadAnswer {
  upload_id: number;
  status: 'uploaded';
  formats: OutputFormat[];
  sources: string[];
  meta: Meta;
}

/** The checks of an upload call that need no bytes, done first. */
interface UploadRequest {
  job: Job;
  meta?: Meta;
  formats?: OutputFormat[];
  oncomplete?: string;
}

export class UploadService {
  constructor(private readonly deps: UploadServiceDeps) {}

  /** Streams a client's bytes into storage under a key of ours. */
  async receive(
    site: Site,
    body: Readable,
    rawName: string,
  ): Promise<ReceivedSource> {
    const storageKey = `sources/${site.id}/${randomUUID()}`;
    try {
      const { bytes, sha256 } = await this.deps.storage.put(
        storageKey,
        body,
        this.deps.maxSourceBytes,
      );
      return { storageKey, filename: displayName(rawName), bytes, sha256 };
    } catch (err) {
      if (err instanceof ObjectTooLargeError) {
        throw new ApiError(
          'source_too_large',
          `source is larger than ${this.deps.maxSourceBytes} bytes`,
        );
      }
      throw err;
    }
  }

  /** Removes a received source that will not become an upload. */
  async discard(source: ReceivedSource): Promise<void> {
    await this.deps.storage.delete(source.storageKey);
  }

  /** Fetches a source URL into storage. */
  async fetch(site: Site, url: string): Promise<ReceivedSource> {
    const body = await this.deps.fetchSource(url);
    return this.receive(site, body, nameFromUrl(url));
  }

  /** Validates what can be validated before any byte is fetched. */
  async prepare(site: Site, params: Params): Promise<UploadRequest> {
    const jobId = id(params, 'job_id');
    const job = jobId
      ? await this.deps.store.getJob(site.id, jobId)
      : await this.deps.store.mainJob(site.id);
    if (!job) throw new ApiError('not_found', `job ${jobId} not found`);
    if (job.state !== 'open') {
      throw new ApiError(
        'job_closed',
        `job ${job.id} is already published; upload to a new job`,
      );
    }

    const meta = params.hasMeta ? checkMeta(site, params.meta) : undefined;
    const formats = parseFormats(params);
    const target = text(params, 'oncomplete');
    const oncomplete = target ? parseNotifyTarget(target).value : undefined;
    return { job, meta, formats, oncomplete };
  }

  /**
   * Turns a stored source into an upload of the job. The stored file is
   * removed when the upload is refused.
   */
  async accept(
    site: Site,
    request: UploadRequest,
    received: ReceivedSource,
  ): Promise<UploadAnswer> {
    try {
      return await this.acceptStored(site, request, received);
    } catch (err) {
      await this.discard(received);
      throw err;
    }
  }

  private async acceptStored(
    site: Site,
    request: UploadRequest,
    received: ReceivedSource,
  ): Promise<UploadAnswer> {
    if (received.bytes === 0) {
      throw new ApiError('not_audio', 'source is empty (0 bytes)');
    }
    const local = await this.deps.storage.localCopy(received.storageKey);
    const inspection = await this.deps.inspector
      .inspect(local.path)
      .finally(() => local.release());

    const source: SourceFile = { format: inspection.format, ...received };
    const sources = { [source.format]: source };
    const tags: Meta = { ...inspection.tags };
    if (received.filename) tags.Filename = received.filename;
    const upload = await this.deps.store.addUpload(site.id, request.job.id, {
      formats: request.formats ?? defaultFormats(Object.keys(sources)),
      sources,
      meta: { ...tags, ...request.meta },
    });
    if (upload === 'closed') {
      throw new ApiError('job_closed', `job ${request.job.id} was published`);
    }

    if (request.oncomplete) {
      await this.deps.store.setOncomplete(request.job.id, request.oncomplete);
    }
    return answerOf(upload);
  }
}

export function answerOf(upload: Upload): UploadAnswer {
  return {
    upload_id: upload.id,
    status: 'uploaded',
    formats: upload.formats,
    sources: Object.keys(upload.sources),
    meta: upload.meta,
  };
}

/** Refuses unknown field names, naming every one (SPEC §2). */
export function checkMeta(site: Site, meta: Meta): Meta {
  const unknown = unknownFields(meta, site.customFields);
  if (unknown.length > 0) {
    throw new ApiError(
      'unknown_fields',
      `unknown metadata fields: ${unknown.join(', ')}`,
      { fields: unknown },
    );
  }
  return meta;
}

export function parseFormats(params: Params): OutputFormat[] | undefined {
  const formats = list(params, 'formats');
  if (!formats) return undefined;
  const bad = formats.filter((f) => !isOutputFormat(f));
  if (bad.length > 0 || formats.length === 0) {
    throw new ApiError(
      'invalid_format',
      `unknown formats: ${bad.join(', ') || '(none given)'}; ` +
        'use mp3, wav, aiff, flac',
      { formats: bad },
    );
  }
  return [...new Set(formats)] as OutputFormat[];
}
