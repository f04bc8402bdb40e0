import type { Meta, OutputFormat, Rendition } from '@ingest/core';

/** One finished, verified rendition in a local temp file. */
export interface MadeRendition extends Omit<Rendition, 'storageKey'> {
  path: string;
}

export interface MakeRequest {
  /** Local paths of the upload's sources, by their format. */
  sources: Record<string, string>;
  formats: OutputFormat[];
  meta: Meta;
  /**
   * A local audio file whose picture the mp3 gets when the sources hold
   * none: the track's current mp3, when an update remakes it.
   */
  coverFrom?: string;
  /** An empty folder of ours for the outputs; removed by the caller. */
  outDir: string;
  /**
   * INGEST_SITE_QUOTA: asked, once the sources are probed, with the
   * bytes the renditions can take at most (Infinity when not known),
   * answers the bytes they may take together (the run's hold of what
   * the site has left); more fails the upload `quota_exceeded`.
   * Default: no limit.
   */
  budget?: (needBytes: number) => Promise<number>;
  signal?: AbortSignal;
}

export interface RetagRequest {
  /** Local path of a rendition to copy. */
  source: string;
  format: OutputFormat;
  /** The tags the copy gets, all of them; the file's own are dropped. */
  meta: Meta;
  /** A folder of ours for the copy; removed by the caller. */
  outDir: string;
  signal?: AbortSignal;
}

/**
 * Makes every requested rendition of an upload in one pass and verifies
 * them. Throws `UploadFault` when the source itself is at fault (it will
 * not get better on retry); anything else is worth another attempt.
 */
export interface RenditionMaker {
  make(request: MakeRequest): Promise<MadeRendition[]>;
  /**
   * A verified copy of a rendition with other tags and the same audio:
   * an mp3's frames as they are, a lossless file's samples.
   */
  retag(request: RetagRequest): Promise<MadeRendition>;
}

/** The source is at fault: the upload errors with this code and reason. */
export class UploadFault extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UploadFault';
  }
}

/**
 * A failure that is not the source's fault but is known by name (ffmpeg
 * crashed or could not write): worth a retry, and when every attempt
 * fails the upload errors with this code rather than `internal`.
 */
export class RetryableFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RetryableFault';
  }
}

/**
 * The code and reason an upload errors with after `err`, or undefined
 * when `err` deserves another attempt. `attempt` is 1-based; `what`
 * names the work in the reason ("transcoding", "update").
 */
export function finalFailure(
  err: unknown,
  attempt: number,
  lastAttempt: boolean,
  what: string,
): { code: string; reason: string } | undefined {
  if (err instanceof UploadFault) {
    return { code: err.code, reason: err.message };
  }
  if (!lastAttempt) return undefined;
  const message = (err as Error).message;
  return {
    code: err instanceof RetryableFault ? err.code : 'internal',
    reason: `${what} failed after ${attempt} attempts: ${message}`,
  };
}
