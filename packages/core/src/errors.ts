/**
 * Every error the API can answer, declared once: a stable `code` clients
 * may branch on, the HTTP status, and a default message. Codes are never
 * reused for another meaning once released.
 */
export const ERRORS = {
  unauthorized: { status: 401, message: 'missing or unknown token' },
  not_found: { status: 404, message: 'not found' },
  method_not_allowed: { status: 405, message: 'method not allowed' },
  invalid_parameter: { status: 400, message: 'invalid parameter' },
  unknown_fields: { status: 400, message: 'unknown metadata fields' },
  invalid_format: { status: 400, message: 'unknown output format' },
  invalid_address: { status: 400, message: 'invalid oncomplete address' },
  url_not_allowed: { status: 422, message: 'URL not allowed' },
  fetch_failed: { status: 422, message: 'source could not be fetched' },
  source_too_large: { status: 413, message: 'source is too large' },
  not_audio: { status: 415, message: 'source is not audio' },
  /** Audio that no rendition can be made from (README, renditions). */
  too_many_channels: {
    status: 422,
    message: 'source has more channels than renditions hold',
  },
  unsupported_sample_rate: {
    status: 422,
    message: 'source has a sample rate renditions cannot be made from',
  },
  /** Longer than INGEST_MAX_DURATION (README, "Source length"). */
  source_too_long: {
    status: 422,
    message: 'source is longer than renditions are made of',
  },
  /** The site holds INGEST_SITE_QUOTA bytes or more (README, quota). */
  quota_exceeded: {
    status: 507,
    message: 'the site has used its storage quota',
  },
  payload_too_large: { status: 413, message: 'request body too large' },
  /** A multipart file sent before its token took too long to arrive. */
  request_timeout: {
    status: 408,
    message: 'the request body did not arrive in time',
  },
  /**
   * As many multipart files wait for their token as a gateway, or one
   * client address, may hold.
   */
  spool_full: {
    status: 503,
    message: 'too many uploads are waiting for their token',
    retryAfterSeconds: 5,
  },
  /** A request the HTTP parser could not read; no endpoint saw it. */
  malformed_request: { status: 400, message: 'the request is not valid HTTP' },
  /** A request line and headers past the server's limit (16 KiB). */
  headers_too_large: { status: 431, message: 'request headers too large' },
  /** An `Expect` header other than 100-continue; no endpoint saw it. */
  expectation_failed: {
    status: 417,
    message: 'the server meets no expectation but 100-continue',
  },
  unsupported_media_type: {
    status: 415,
    message: 'request body of a type the API does not read',
  },
  job_closed: { status: 409, message: 'job is already published' },
  job_empty: { status: 409, message: 'job has no uploads to publish' },
  upload_not_queued: { status: 409, message: 'upload is no longer queued' },
  upload_in_progress: {
    status: 429,
    message: 'another upload of this site is in progress',
    retryAfterSeconds: 2,
  },
  rendition_missing: { status: 404, message: 'track has no such format' },
  /** A download's If-Match or If-Unmodified-Since no longer holds. */
  precondition_failed: {
    status: 412,
    message: 'the file is no longer the version the request names',
  },
  /** A download's Range lies wholly outside the file. */
  range_not_satisfiable: {
    status: 416,
    message: 'the range lies outside the file',
  },
  duplicate_upload: {
    status: 409,
    message: 'the job already holds an upload of these bytes',
  },
  idempotency_key_reused: {
    status: 422,
    message: 'Idempotency-Key was used for a different request',
  },
  idempotency_in_progress: {
    status: 409,
    message: 'a request with this Idempotency-Key is still running',
  },
  /** An earlier call with the key was cut short and may have done its work. */
  idempotency_unknown: {
    status: 409,
    message: 'a request with this Idempotency-Key may have done its work unseen',
  },
  /** An inbound queue payload of a version this gateway cannot read. */
  unsupported_version: {
    status: 400,
    message: 'payload version is not supported',
  },
  not_ready: { status: 503, message: 'service is not ready' },
  internal: { status: 500, message: 'internal error' },
} as const satisfies Record<
  string,
  { status: number; message: string; retryAfterSeconds?: number }
>;

/** Seconds a client should wait before trying again, where it helps. */
export function retryAfterOf(code: ErrorCode): number | undefined {
  const entry = ERRORS[code];
  return 'retryAfterSeconds' in entry ? entry.retryAfterSeconds : undefined;
}

export type ErrorCode = keyof typeof ERRORS;

/** An error meant for the API client: code, status and human text. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra fields merged into the JSON body (e.g. offending names). */
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message?: string,
    details: Record<string, unknown> = {},
  ) {
    super(message ?? ERRORS[code].message);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }

  toBody(): Record<string, unknown> {
    return { error: this.message, code: this.code, ...this.details };
  }
}

/**
 * The refusal of a call that did part of its work (SPEC §1: an upload
 * stored, a later step of the call failed): its answer names what
 * stands. An Idempotency-Key keeps it, so a retry is told the same
 * rather than run again.
 */
export class PartlyDoneError extends ApiError {}

/**
 * Why an upload errored in the pipeline. Kept on the upload and shown by
 * checkJob / list; the message is for people, the code for programs.
 */
export const UPLOAD_ERROR_CODES = [
  'truncated',
  'no_audio',
  'undecodable',
  /** Less audio decodes than one mp3 frame (about 25 ms). */
  'too_short',
  /** As the API's codes of the same names, for a source upload let pass. */
  'too_many_channels',
  /** Also a format that cannot hold the rate (flac at 88201 Hz). */
  'unsupported_sample_rate',
  /**
   * Decodes to more than INGEST_MAX_DURATION, though its header hid it
   * or claimed less.
   */
  'source_too_long',
  /** Renditions would take the site past INGEST_SITE_QUOTA. */
  'quota_exceeded',
  'verification_failed',
  /** The track's tags are too large for ffmpeg's command line. */
  'tags_too_large',
  'transcode_failed',
  /**
   * An ffmpeg run of the transcode passed INGEST_TRANSCODE_TIMEOUT on
   * every attempt and was stopped.
   */
  'transcode_timeout',
  'source_missing',
  /** A track update found its track deleted. */
  'track_missing',
  'internal',
] as const;

export type UploadErrorCode = (typeof UPLOAD_ERROR_CODES)[number];
