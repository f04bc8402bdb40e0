import { randomUUID } from 'node:crypto';
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
import { ANSWER_CHECKS, type AnswerCheck } from './answer-shapes';
import type { AttemptTimeouts } from './attempt-timer';
import { baseUrlProblem, shownUrl } from './base-url';
import type {
  CallOptions,
  DeleteTarget,
  DownloadOptions,
  IngestClientOptions,
  KeyedCallOptions,
  SearchQuery,
  TrackDownload,
  UploadOptions,
  UploadSource,
  WaitOptions,
} from './client-options';
import { writeDownload } from './download-file';
import { filenameOf } from './download-name';
import { headerSafe } from './header-value';
import { HttpTransport } from './http-transport';
import { IngestApiError } from './ingest-api-error';
import { pollUntilComplete } from './job-waiter';
import { multipartBody } from './multipart-body';
import { DEFAULT_RETRY } from './retry-policy';
import { timerMs } from './timer-limits';
import { jsonBody, queryOf, type WireParams } from './wire-params';

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
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly uploadTimeoutMs: number;

  constructor(options: IngestClientOptions) {
    this.timeoutMs = timerMs('timeoutMs', options.timeoutMs, 30_000);
    this.idleTimeoutMs = timerMs('idleTimeoutMs', options.idleTimeoutMs, 60_000);
    this.uploadTimeoutMs = timerMs(
      'uploadTimeoutMs',
      options.uploadTimeoutMs,
      660_000,
    );
    const base = checkedBaseUrl(options.url);
    if (!headerSafe(options.token)) {
      // A header cannot carry it: every call would fail as a network error.
      throw new TypeError(
        'IngestClient: token holds characters a header cannot carry ' +
          '(a line break or other control character, or one beyond Latin-1)',
      );
    }
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
    options?: UploadOptions & { trackId?: undefined },
  ): Promise<UploadResult>;
  /** With `trackId`: an update of that published track. */
  upload(
    source: UploadSource,
    options: UploadOptions & { trackId: number },
  ): Promise<TrackUpdateResult>;
  upload(
    source: UploadSource,
    options?: UploadOptions,
  ): Promise<UploadResult | TrackUpdateResult>;
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
    const timeouts = {
      answerMs: this.uploadTimeoutMs,
      idleMs: this.idleTimeoutMs,
    };
    const check =
      options.trackId === undefined
        ? ANSWER_CHECKS.upload
        : ANSWER_CHECKS.trackUpdate;
    if ('url' in source) {
      return this.call(`${IMPORT}/upload`, { ...params, url: source.url }, {
        idempotent: false,
        signal: options.signal,
        idempotencyKey: options.idempotencyKey ?? newKey(),
        timeouts,
        check,
      });
    }
    return this.http.json(`${IMPORT}/upload`, {
      method: 'POST',
      makeBody: (progress) => multipartBody(params, source, progress),
      idempotent: false,
      signal: options.signal,
      idempotencyKey: options.idempotencyKey ?? newKey(),
      timeouts,
      check,
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
      check: ANSWER_CHECKS.availableFields,
      ...options,
    });
  }

  createJob(
    job: { name?: string; email?: string; oncomplete?: string } = {},
    options: KeyedCallOptions = {},
  ): Promise<CreateJobResult> {
    return this.call(`${IMPORT}/createJob`, job, {
      idempotent: false,
      check: ANSWER_CHECKS.createJob,
      signal: options.signal,
      idempotencyKey: options.idempotencyKey ?? newKey(),
    });
  }

  /** Publishes a job; default the site's main job. */
  publish(
    job: { jobId?: number; oncomplete?: string } = {},
    options: KeyedCallOptions = {},
  ): Promise<PublishResult> {
    return this.call(
      `${IMPORT}/publish`,
      { job_id: job.jobId, oncomplete: job.oncomplete },
      {
        idempotent: false,
        signal: options.signal,
        idempotencyKey: options.idempotencyKey ?? newKey(),
        check: ANSWER_CHECKS.publish,
      },
    );
  }

  /** Progress of a job; default the site's main job. */
  checkJob(jobId?: number, options: CallOptions = {}): Promise<JobProgress> {
    return this.call(`${IMPORT}/checkJob`, { job_id: jobId }, {
      idempotent: true,
      check: ANSWER_CHECKS.checkJob,
      ...options,
    });
  }

  /** Uploads of a job and their tracks; default the site's main job. */
  list(jobId?: number, options: CallOptions = {}): Promise<JobListing> {
    return this.call(`${IMPORT}/list`, { job_id: jobId }, {
      idempotent: true,
      check: ANSWER_CHECKS.list,
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
      check: ANSWER_CHECKS.track,
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
      // The headers come at once; then the body may take as long as it
      // keeps moving.
      timeouts: { answerMs: this.timeoutMs, idleMs: this.idleTimeoutMs },
    });
    if (!res.body) {
      // A 204, say: not the API's answer, and nothing to write.
      throw IngestApiError.misfit(`${TRACKS}/download`, res, 'no body');
    }
    const length = res.headers.get('content-length');
    return {
      response: res,
      body: res.body,
      contentType: res.headers.get('content-type') ?? '',
      contentLength: length === null ? undefined : Number(length),
      filename: filenameOf(res.headers.get('content-disposition')),
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
    return writeDownload(download.body, file, options.signal);
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
    return pollUntilComplete(
      (signal) => this.checkJob(jobId, { signal }),
      jobId,
      options,
    );
  }

  /** One JSON call: parameters as a JSON body, answer parsed. */
  private call<T>(
    endpoint: string,
    params: WireParams,
    options: {
      idempotent: boolean;
      signal?: AbortSignal;
      idempotencyKey?: string;
      timeouts?: AttemptTimeouts;
      check?: AnswerCheck;
    },
  ): Promise<T> {
    return this.http.json<T>(endpoint, {
      method: 'POST',
      makeBody: () => ({
        body: jsonBody(params),
        headers: { 'content-type': 'application/json' },
      }),
      idempotent: options.idempotent,
      signal: options.signal,
      idempotencyKey: options.idempotencyKey,
      timeouts: options.timeouts ?? { answerMs: this.timeoutMs },
      check: options.check,
    });
  }
}

/** An Idempotency-Key for one logical call and its retries. */
function newKey(): string {
  return `ingest-client-${randomUUID()}`;
}

/**
 * The gateway's base URL, ending in `/`. A bad one is refused here, not
 * at the first call as a network error.
 */
function checkedBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`IngestClient: url is not a URL: ${shownUrl(url)}`);
  }
  const problem = baseUrlProblem(parsed);
  if (problem) throw new TypeError(`IngestClient: url ${problem}: ${shownUrl(url)}`);
  return url.endsWith('/') ? url : `${url}/`;
}
