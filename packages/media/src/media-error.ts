/**
 * Stable error codes of the media adapter. Callers branch on these, never
 * on message text; a retired code is never reused for another meaning.
 */
export const MEDIA_ERROR_CODES = [
  /** The file has zero bytes. */
  'empty_file',
  /** The container opened but holds no audio stream. */
  'no_audio',
  /** No audio (or far too little of it) could be decoded. */
  'undecodable',
  /** Fewer samples decode than make up one mp3 frame. */
  'too_short',
  /** The container declares much more audio than decodes. */
  'truncated',
  /** More channels than renditions hold (source-limits.ts). */
  'too_many_channels',
  /** A sample rate renditions cannot be made from (source-limits.ts). */
  'unsupported_sample_rate',
  /** Longer than the plan's `maxDurationS` (source-limits.ts). */
  'source_too_long',
  /** Renditions would pass the plan's `maxBytes` (the site's quota). */
  'quota_exceeded',
  /** A rendition was written but did not pass verification. */
  'verification_failed',
  /** ffmpeg failed for a reason other than the source's audio. */
  'transcode_failed',
  /** ffprobe could not describe a file. */
  'probe_failed',
  /** A run took longer than its timeout and was killed. */
  'timeout',
  /**
   * A run reached its timeout having decoded nothing for a long while
   * before (ffmpeg-runner.ts): stuck, not slow, and was killed.
   */
  'stalled',
  /** The caller's AbortSignal fired and the run was killed. */
  'aborted',
  /** The ffmpeg/ffprobe binary does not exist at the configured path. */
  'tool_missing',
  /** The binary exists but lacks the exec bit or cannot be run. */
  'tool_not_executable',
  /** The binary lacks an encoder or demuxer the policy needs. */
  'tool_incomplete',
  /** The track's tags do not fit on ffmpeg's command line. */
  'tags_too_large',
  /** The caller's plan is inconsistent (duplicate paths, bad format…). */
  'invalid_plan',
] as const;

export type MediaErrorCode = (typeof MEDIA_ERROR_CODES)[number];

/** Structured facts that travel with an error, for logs and API answers. */
export type MediaErrorDetails = Record<string, unknown>;

/**
 * The one error type the media adapter throws. `message` is written for a
 * person (it ends up in an upload's `error` field); `code` is for code.
 */
export class MediaError extends Error {
  readonly code: MediaErrorCode;
  readonly details: MediaErrorDetails;

  constructor(
    code: MediaErrorCode,
    message: string,
    details: MediaErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MediaError';
    this.code = code;
    this.details = details;
  }
}

export function isMediaError(value: unknown): value is MediaError {
  return value instanceof MediaError;
}
