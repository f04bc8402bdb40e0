import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  AvailableFields,
  CreateJobResult,
  DeleteResult,
  JobListing,
  JobProgress,
  Meta,
  OutputFormat,
  PublishResult,
  SearchResult,
  SetFormatsResult,
  SetMetadataResult,
  TrackDeleteResult,
  TrackResult,
  TrackUpdateResult,
  UploadResult,
} from './api-types';
import { HttpTransport, type RetryEvent } from './http-transport';
import { IngestApiError } from './ingest-api-error';
import { IngestNetworkError } from './ingest-network-error';
import { JobTimeoutError } from './job-timeout-error';
import { multipartBody, type FileInput } from './multipart-body';
import { DEFAULT_RETRY, type RetryOptions } from './retry-policy';
import { jsonBody, queryOf, type WireParams } from './wire-params';

export interface IngestClientOptions {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The site's API token, sent as `Authorization: Bearer`. */
  token: string;
  /** Retry settings; unset fields keep `DEFAULT_RETRY`. */
  retry?: Partial<RetryOptions>;
  /** Told before each retry. */
  onRetry?: (event: RetryEvent) => void;
  /** The fetch to use. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Default `ingest-client/0.1`. */
  userAgent?: string;
}

/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

export type UploadSource = { url: string } | FileInput;

export interface UploadOptions extends CallOptions {
  /** Job to add to; default the site's main job. */
  jobId?: number;
  /** Final formats of the track; default its sources' formats plus mp3. */
  formats?: OutputFormat[];
  /** Wins over the file's own tags. */
  meta?: Meta;
  /** Email or URL told when the job completes. */
  oncomplete?: string;
  /** Publish the job by itself after a quiet period (SPEC §2). */
  autopublish?: boolean;
  /** Attach as a secondary source of this upload. */
  uploadId?: number;
  /** Update a published track instead of making a new upload. */
  trackId?: number;
  immediate?: boolean;
  /** With `trackId`: the format this source replaces. */
  format?: OutputFormat;
}

export type DeleteTarget = { uploadId: number | 'ALL' } | { updateId: number };

export interface SearchQuery extends CallOptions {
  /** Words to match; the last one also as a prefix. */
  s?: string;
  /** Results per page (the gateway's default 50, at most 1000). */
  show?: number;
  /** Page, from 0. */
  pg?: number;
}

export interface WaitOptions extends CallOptions {
  /** Give up after this long, ms. Default 600 000 (10 min). */
  timeoutMs?: number;
  /** Pause between polls, ms. Default 1000. */
  intervalMs?: number;
  /** Told every answer of checkJob, the last one included. */
  onProgress?: (progress: JobProgress) => void;
}

export interface DownloadOptions extends CallOptions {
  /** Bytes `start`..`end` (inclusive); `end` open means to the end. */
  range?: { start: number; end?: number };
  /**
   * Resume only the version named by an earlier answer's `etag` (or
   * Last-Modified): when the file changed since, the whole new file comes
   * (status 200) instead of a range of it.
   */
  ifRange?: string;
}

/** An answered download; read `body` once. */
export interface TrackDownload {
  response: Response;
  body: ReadableStream<Uint8Array>;
  contentType: string;
  contentLength?: number;
  /** From `Content-Disposition`, e.g. `12.mp3`. */
  filename?: string;
  /** The rendition's sha256 in quotes: names this version of the file. */
  etag?: string;
}

/**
 * The temp name `downloadTo` writes `file` under until it is whole: a
 * hidden sibling, so a caller that must remove it (a forced exit) can.
 */
export function partFileOf(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.part`,
  );
}

const IMPORT = '/api/import';
const TRACKS = '/api/tracks';

/**
 * The Import API as typed methods (SPEC §2). Answers keep the API's wire
 * names; failures throw `IngestApiError` (answered) or
 * `IngestNetworkError` (not reached). 429 and 503 are retried for every
 * call; other 5xx and broken connections only for calls safe to repeat.
 */
export class IngestClient {
  private readonly http: HttpTransport;

  constructor(options: IngestClientOptions) {
    const base = options.url.endsWith('/') ? options.url : `${options.url}/`;
    this.http = new HttpTransport({
      baseUrl: base,
      token: options.token,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      fetch: options.fetch ?? globalThis.fetch,
      userAgent: options.userAgent ?? 'ingest-client/0.1',
      onRetry: options.onRetry,
    });
  }

  /**
   * Adds a source by URL, or sends a file as multipart. A path or Blob
   * is streamed from its storage and resent if the site's upload slot
   * is busy (429); a stream is sent once.
   */
  upload(
    source: UploadSource,
    options: UploadOptions = {},
  ): Promise<UploadResult | TrackUpdateResult> {
    const params: WireParams = {
      job_id: options.jobId,
      formats: options.formats,
      meta: options.meta,
      oncomplete: options.oncomplete,
      autopublish: options.autopublish,
      upload_id: options.uploadId,
      track_id: options.trackId,
      immediate: options.immediate,
      format: options.format,
    };
    if ('url' in source) {
      return this.call(`${IMPORT}/upload`, { ...params, url: source.url }, {
        idempotent: false,
        signal: options.signal,
      });
    }
    return this.http.json(`${IMPORT}/upload`, {
      method: 'POST',
      makeBody: () => multipartBody(params, source),
      idempotent: false,
      signal: options.signal,
    });
  }

  /** Merges `meta` into a queued upload; a blank value clears a field. */
  setMetadata(
    uploadId: number,
    meta: Meta,
    options: CallOptions = {},
  ): Promise<SetMetadataResult> {
    return this.call(
      `${IMPORT}/setMetadata`,
      { upload_id: uploadId, meta },
      { idempotent: true, ...options },
    );
  }

  setFormats(
    uploadId: number,
    formats: OutputFormat[],
    options: CallOptions = {},
  ): Promise<SetFormatsResult> {
    return this.call(
      `${IMPORT}/setFormats`,
      { upload_id: uploadId, formats },
      { idempotent: true, ...options },
    );
  }

  getAvailableFields(options: CallOptions = {}): Promise<AvailableFields> {
    return this.call(`${IMPORT}/getAvailableFields`, {}, {
      idempotent: true,
      ...options,
    });
  }

  createJob(
    job: { name?: string; email?: string } = {},
    options: CallOptions = {},
  ): Promise<CreateJobResult> {
    return this.call(`${IMPORT}/createJob`, job, {
      idempotent: false,
      ...options,
    });
  }

  /** Publishes a job; default the site's main job. */
  publish(
    job: { jobId?: number; oncomplete?: string } = {},
    options: CallOptions = {},
  ): Promise<PublishResult> {
    return this.call(
      `${IMPORT}/publish`,
      { job_id: job.jobId, oncomplete: job.oncomplete },
      { idempotent: false, ...options },
    );
  }

  /** Progress of a job; default the site's main job. */
  checkJob(jobId?: number, options: CallOptions = {}): Promise<JobProgress> {
    return this.call(`${IMPORT}/checkJob`, { job_id: jobId }, {
      idempotent: true,
      ...options,
    });
  }

  /** Uploads of a job and their tracks; default the site's main job. */
  list(jobId?: number, options: CallOptions = {}): Promise<JobListing> {
    return this.call(`${IMPORT}/list`, { job_id: jobId }, {
      idempotent: true,
      ...options,
    });
  }

  /** Drops a queued upload, an update, or every unpublished one (`ALL`). */
  delete(target: DeleteTarget, options: CallOptions = {}): Promise<DeleteResult> {
    const params =
      'updateId' in target
        ? { update_id: target.updateId }
        : { upload_id: target.uploadId };
    return this.call(`${IMPORT}/delete`, params, {
      idempotent: false,
      ...options,
    });
  }

  getTrack(trackId: number, options: CallOptions = {}): Promise<TrackResult> {
    return this.call(`${TRACKS}/getById`, { track_id: trackId }, {
      idempotent: true,
      ...options,
    });
  }

  /** Removes a published track and its files (beyond SourceAudio). */
  deleteTrack(
    trackId: number,
    options: CallOptions = {},
  ): Promise<TrackDeleteResult> {
    return this.call(`${TRACKS}/delete`, { track_id: trackId }, {
      idempotent: false,
      ...options,
    });
  }

  /** Published tracks matching `s`; indexed tracks only (SPEC §2). */
  search(query: SearchQuery = {}): Promise<SearchResult> {
    const { signal, ...params } = query;
    return this.call(`${TRACKS}/search`, params, { idempotent: true, signal });
  }

  /**
   * Opens the file of one rendition. Failures before the first byte are
   * retried; a body that breaks while read is not.
   */
  async download(
    trackId: number,
    format: OutputFormat = 'mp3',
    options: DownloadOptions = {},
  ): Promise<TrackDownload> {
    const { range, ifRange } = options;
    const headers: Record<string, string> = {};
    if (range) headers.range = `bytes=${range.start}-${range.end ?? ''}`;
    if (ifRange !== undefined) headers['if-range'] = ifRange;
    const res = await this.http.send(`${TRACKS}/download`, {
      method: 'GET',
      query: queryOf({ track_id: trackId, format }),
      idempotent: true,
      signal: options.signal,
      headers,
    });
    if (!res.body) throw new Error('download answered without a body');
    const length = res.headers.get('content-length');
    const disposition = res.headers.get('content-disposition') ?? '';
    return {
      response: res,
      body: res.body,
      contentType: res.headers.get('content-type') ?? '',
      contentLength: length === null ? undefined : Number(length),
      filename: /filename="([^"]+)"/.exec(disposition)?.[1],
      etag: res.headers.get('etag') ?? undefined,
    };
  }

  /**
   * Downloads a rendition into `file`: written under a temp name and
   * renamed into place once whole, so `file` is never half-written.
   * Answers the bytes written and their sha256 (hex), to compare with
   * the rendition's.
   */
  async downloadTo(
    trackId: number,
    format: OutputFormat,
    file: string,
    options: CallOptions = {},
  ): Promise<{ file: string; bytes: number; sha256: string }> {
    const download = await this.download(trackId, format, options);
    const temp = partFileOf(file);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const body = Readable.fromWeb(
        download.body as import('node:stream/web').ReadableStream,
      );
      const count = async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          bytes += chunk.length;
          hash.update(chunk);
          yield chunk;
        }
      };
      await pipeline(body, count, createWriteStream(temp), {
        signal: options.signal,
      });
      await rename(temp, file);
    } finally {
      await rm(temp, { force: true });
    }
    return { file, bytes, sha256: hash.digest('hex') };
  }

  /**
   * Polls checkJob until the job is complete (q and i both 0 after
   * publishing). A poll that fails for a passing reason (no connection,
   * 5xx, 429) does not end the wait: the gateway may be restarting.
   * Throws `JobTimeoutError` when `timeoutMs` passes first, with the
   * last progress and the last failure seen.
   */
  async waitForJob(
    jobId: number,
    options: WaitOptions = {},
  ): Promise<JobProgress> {
    const timeoutMs = options.timeoutMs ?? 600_000;
    const intervalMs = options.intervalMs ?? 1000;
    const deadline = Date.now() + timeoutMs;
    let last: JobProgress | undefined;
    let lastError: unknown;

    for (;;) {
      try {
        last = await this.checkJob(jobId, { signal: options.signal });
        lastError = undefined;
        options.onProgress?.(last);
        if (last.state === 'complete') return last;
      } catch (err) {
        if (options.signal?.aborted || !isPassing(err)) throw err;
        lastError = err;
      }

      const left = deadline - Date.now();
      if (left <= 0) {
        throw new JobTimeoutError(jobId, timeoutMs, last, lastError);
      }
      await sleep(Math.min(intervalMs, left), undefined, {
        signal: options.signal,
      });
    }
  }

  /** One JSON call: parameters as a JSON body, answer parsed. */
  private call<T>(
    endpoint: string,
    params: WireParams,
    options: { idempotent: boolean; signal?: AbortSignal },
  ): Promise<T> {
    return this.http.json<T>(endpoint, {
      method: 'POST',
      makeBody: () => ({
        body: jsonBody(params),
        headers: { 'content-type': 'application/json' },
      }),
      idempotent: options.idempotent,
      signal: options.signal,
    });
  }
}

/** A failure that a later poll may not meet: the gateway away or busy. */
function isPassing(err: unknown): boolean {
  if (err instanceof IngestNetworkError) return true;
  return (
    err instanceof IngestApiError && (err.status >= 500 || err.status === 429)
  );
}
