import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  ApiError,
  defaultFormats,
  describeUnknownFields,
  displayName,
  isOutputFormat,
  mergeMeta,
  nameFromUrl,
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
import { echoed, echoText } from '../api/param-schemas';
import type { Autopublisher } from '../jobs/autopublisher';
import { readNotifyTarget } from '../jobs/notify-target';
import {
  flag,
  id,
  list,
  PARAM_LIMITS,
  type Params,
} from '../http/params';
import type { SecondarySources } from './secondary-sources';
import { sourceStem } from './secondary-sources';
import { inspectStored, type SourceInspector } from './source-inspector';
import { removeRefusedSource, type SiteQuota } from './site-quota';
import { noteStored } from './autopublish-notes';
import { sourceTooLarge } from './source-too-large';

/** A source stored under a key of ours, not yet part of an upload. */
export interface ReceivedSource {
  storageKey: string;
  filename: string;
  bytes: number;
  sha256: string;
}

/** The answer to a source URL, once its redirects are followed. */
export interface FetchedSource {
  body: Readable;
  /** The URL the bytes came from: the last of the redirect chain. */
  url: string;
}

/** Opens the body of a source URL; throws ApiError with the reason. */
export type SourceFetcher = (
  url: string,
  signal?: AbortSignal,
) => Promise<FetchedSource>;

export interface UploadServiceDeps {
  store: StateStore;
  storage: Storage;
  inspector: SourceInspector;
  fetchSource: SourceFetcher;
  maxSourceBytes: number;
  /** Attaches sources to waiting uploads instead of making new ones. */
  secondary?: SecondarySources;
  /** Told of every upload: with `autopublish=1`, and without. */
  autopublisher?: Pick<Autopublisher, 'noteUpload' | 'noteGrowth'>;
  /**
   * INGEST_ALLOW_PRIVATE_URLS, for `oncomplete` URLs; default true: such
   * a URL is then judged only at delivery.
   */
  allowPrivateUrls?: boolean;
  /** Counts stored sources; refuses a site at INGEST_SITE_QUOTA. */
  quota?: SiteQuota;
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
  /** `upload_id`: the source is a secondary source of that upload. */
  attachTo?: number;
  autopublish: boolean;
  /** No job_id was given: the upload goes to the site's main job. */
  toMainJob: boolean;
}

export class UploadService {
  constructor(private readonly deps: UploadServiceDeps) {}

  /**
   * Streams a client's bytes into storage under a key of ours; stops
   * when `signal` aborts (the client hung up).
   */
  async receive(
    site: Site,
    body: Readable,
    rawName: string,
    signal?: AbortSignal,
  ): Promise<ReceivedSource> {
    const storageKey = `sources/${site.id}/${randomUUID()}`;
    try {
      const { bytes, sha256 } = await this.deps.storage.put(
        storageKey,
        body,
        this.deps.maxSourceBytes,
        signal,
      );
      await this.deps.quota?.stored(site.id, storageKey, bytes);
      return { storageKey, filename: displayName(rawName), bytes, sha256 };
    } catch (err) {
      if (err instanceof ObjectTooLargeError) {
        throw sourceTooLarge(this.deps.maxSourceBytes);
      }
      throw err;
    }
  }

  /** Removes a source that will not become an upload (removeRefusedSource). */
  async discard(source: ReceivedSource, refusal?: unknown): Promise<void> {
    await removeRefusedSource(this.deps, source.storageKey, refusal);
  }

  /**
   * Fetches a source URL into storage. Its name is that of the file
   * fetched: the last URL of a redirect chain, or the URL asked for when
   * the last one names no file (e.g. `https://cdn.example/?id=3`).
   */
  async fetch(
    site: Site,
    url: string,
    signal?: AbortSignal,
  ): Promise<ReceivedSource> {
    const fetched = await this.deps.fetchSource(url, signal);
    const name = nameFromUrl(fetched.url) || nameFromUrl(url);
    return this.receive(site, fetched.body, name, signal);
  }

  /** Validates what can be before any byte is fetched (`ownBytes`: a stored file's). */
  async prepare(site: Site, params: Params, ownBytes?: number): Promise<UploadRequest> {
    await this.deps.quota?.refuseWhenFull(site.id, ownBytes);
    const jobId = id(params, 'job_id');
    const job = await openJobFor(
      this.deps.store,
      site,
      jobId,
      'upload to a new job',
    );

    const meta = params.hasMeta ? checkMeta(site, params.meta) : undefined;
    const formats = parseFormats(params);
    const oncomplete = readNotifyTarget(params, this.deps.allowPrivateUrls);
    const attachTo = id(params, 'upload_id');
    if (attachTo !== undefined) {
      await this.deps.secondary?.checkTarget(site, attachTo, jobId);
    }
    return {
      job,
      meta,
      formats,
      oncomplete,
      attachTo,
      autopublish: flag(params, 'autopublish'),
      toMainJob: jobId === undefined,
    };
  }

  /**
   * Turns a stored source into an upload of the job. The stored file is
   * removed when the upload is refused, and kept once an upload names
   * it, whatever fails after (its oncomplete, its autopublish).
   */
  async accept(
    site: Site,
    request: UploadRequest,
    received: ReceivedSource,
  ): Promise<UploadAnswer> {
    let upload: Upload;
    try {
      upload = await this.acceptStored(site, request, received);
    } catch (err) {
      await this.discard(received, err);
      throw err;
    }
    await noteStored(this.deps, upload.jobId, request, { upload_id: upload.id });
    return answerOf(upload);
  }

  private async acceptStored(
    site: Site,
    request: UploadRequest,
    received: ReceivedSource,
  ): Promise<Upload> {
    const inspection = await inspectStored(
      this.deps.inspector,
      this.deps.storage,
      received,
      { customFields: site.customFields },
    );

    const source: SourceFile = { format: inspection.format, ...received };
    if (inspection.seconds) source.seconds = inspection.seconds;
    if (inspection.asIs) source.asIs = true;
    const sources = { [source.format]: source };
    const tags: Meta = { ...inspection.tags };
    if (received.filename) tags.Filename = received.filename;
    const input = {
      formats: request.formats ?? defaultFormats(Object.keys(sources)),
      sources,
      // Given meta wins over the file's tags; a blank value clears one.
      meta: mergeMeta(tags, request.meta),
      formatsGiven: request.formats !== undefined,
      fileName: received.filename,
      stem: sourceStem(received.filename),
    };

    const { secondary } = this.deps;
    let job = request.job;
    let checkName = secondary !== undefined;
    let sameNameAs: number | undefined;
    for (;;) {
      const attached = await secondary?.attach(site, { ...request, job }, source);
      if (attached) return attached;

      const upload = await this.deps.store.addUpload(
        site.id,
        job.id,
        input,
        received.sha256,
        { checkName },
      );
      if (upload === 'closed' && request.toMainJob && job === request.job) {
        // The main job was published (e.g. by its autopublish timer) while
        // this source was fetched; the client named no job, so the new
        // main job takes it (or an upload of its name there). What the
        // old job's uploads of this name decided holds only there.
        job = await this.deps.store.mainJob(site.id);
        checkName = secondary !== undefined;
        sameNameAs = undefined;
        continue;
      }
      if (upload === 'closed') {
        throw new ApiError('job_closed', `job ${job.id} was published`);
      }
      if ('duplicateOf' in upload) throw duplicateError(upload.duplicateOf);
      if ('sameNameAs' in upload) {
        // An upload of this name was added since attach looked (another
        // import at the same moment): look again. The same one twice is
        // one attach does not take (the same extension): a new upload.
        checkName = upload.sameNameAs !== sameNameAs;
        sameNameAs = upload.sameNameAs;
        continue;
      }
      return upload;
    }
  }
}

/** Identical bytes twice in one job: refused, naming the first upload. */
function duplicateError(uploadId: number): ApiError {
  return new ApiError(
    'duplicate_upload',
    `the job already holds these bytes as upload ${uploadId}`,
    { upload_id: uploadId },
  );
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

/**
 * The job an upload or update goes into: `jobId`, or the site's main job
 * when absent. Refused when missing or already published; `retry` says
 * what the client can do then.
 */
export async function openJobFor(
  store: StateStore,
  site: Site,
  jobId: number | undefined,
  retry: string,
): Promise<Job> {
  let job = jobId
    ? await store.getJob(site.id, jobId)
    : await store.mainJob(site.id);
  // The main job may be published between its pick and its read (the
  // upload that reaches the autopublish limit, on another gateway): the
  // client named no job, so pick again, which makes the next one.
  for (let again = 0; !jobId && job?.state !== 'open' && again < 3; again++) {
    job = await store.mainJob(site.id);
  }
  if (!job) throw new ApiError('not_found', `job ${jobId} not found`);
  if (job.state !== 'open') {
    throw new ApiError(
      'job_closed',
      `job ${job.id} is already published; ${retry}`,
    );
  }
  return job;
}

/** Refuses unknown field names, naming every one (SPEC §2). */
export function checkMeta(site: Site, meta: Meta): Meta {
  const unknown = unknownFields(meta, site.customFields);
  if (unknown.length > 0) {
    throw new ApiError(
      'unknown_fields',
      'unknown metadata fields: ' +
        describeUnknownFields(unknown, site.customFields),
      { fields: unknown },
    );
  }
  return checkMetaSize(meta);
}

/**
 * An upload's metadata is written into every rendition as ffmpeg
 * arguments, so all of it together is held to PARAM_LIMITS.metaTotalBytes,
 * also after a merge with what the upload already has.
 */
export function checkMetaSize(meta: Meta): Meta {
  let bytes = 0;
  for (const [field, value] of Object.entries(meta)) {
    bytes += Buffer.byteLength(field) + Buffer.byteLength(value);
  }
  if (bytes > PARAM_LIMITS.metaTotalBytes) {
    throw new ApiError(
      'invalid_parameter',
      `meta holds ${Math.ceil(bytes / 1024)} KiB in all; at most ` +
        `${PARAM_LIMITS.metaTotalBytes / 1024} KiB fit into the renditions`,
      { parameters: ['meta'] },
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
      `unknown formats: ${echoText(bad)}; use mp3, wav, aiff, flac`,
      { formats: echoed(bad) },
    );
  }
  return [...new Set(formats)] as OutputFormat[];
}
