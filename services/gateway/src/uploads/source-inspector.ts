import type { Meta } from '@ingest/core';

/** What the gateway learns of a stored source before accepting it. */
export interface Inspection {
  /** Container format: mp3, wav, aiff, flac, ogg, m4a, … */
  format: string;
  /** Standard fields read from the file's own tags. */
  tags: Meta;
}

/**
 * Looks at a stored file. Throws an ApiError `not_audio` with a reason
 * when it is no audio container at all; a container that later fails to
 * decode is accepted and errors in the pipeline, with its reason.
 */
export interface SourceInspector {
  inspect(path: string): Promise<Inspection>;
}
