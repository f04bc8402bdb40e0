import type { JobProgress, Meta, OutputFormat } from './api-types';
import type { RetryEvent } from './http-transport';
import type { FileInput } from './multipart-body';
import type { RetryOptions } from './retry-policy';

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
  /**
   * Longest wait for the answer of an API call, headers and body, ms;
   * an attempt past it fails as a network error (retried where safe).
   * Default 30 000.
   */
  timeoutMs?: number;
  /**
   * Uploads and downloads: the longest stretch with no bytes moving, ms;
   * a transfer that keeps moving may take as long as it needs.
   * Default 60 000.
   */
  idleTimeoutMs?: number;
  /**
   * Uploads: the longest wait for the answer once the request is sent
   * (the gateway fetching a URL, storing and probing the file), ms.
   * Default 660 000, past the gateway's own fetch limit of 10 minutes.
   */
  uploadTimeoutMs?: number;
}

/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options of the calls the API deduplicates: upload, createJob, publish. */
export interface KeyedCallOptions extends CallOptions {
  /**
   * Sent as `Idempotency-Key` (1-255 visible ASCII characters): a repeat
   * with the same key within a day answers the first answer and does
   * nothing again. Default: a new random key per call, the same for its
   * retries, which makes a broken connection or a 5xx safe to retry.
   * Give your own to make a call safe to repeat across restarts.
   */
  idempotencyKey?: string;
}

export type UploadSource = { url: string } | FileInput;

export interface UploadOptions extends KeyedCallOptions {
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
  /**
   * When given, the pause doubles after each poll that finds the job
   * not complete, up to this many ms (backoff). Default: no growth.
   */
  maxIntervalMs?: number;
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
  /**
   * The name `Content-Disposition` suggests, e.g. `song.mp3` for a track
   * whose Filename is `song.wav` (`12.mp3`, the track id, without one);
   * its `filename*` where given, so non-ASCII names come exactly.
   * `downloadTo` does not use it: it writes the file it is given.
   */
  filename?: string;
  /** The rendition's sha256 in quotes: names this version of the file. */
  etag?: string;
}
