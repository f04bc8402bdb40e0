import { ApiError, type Meta } from '@ingest/core';
import type { Storage } from '@ingest/storage';

/** What the gateway learns of a stored source before accepting it. */
export interface Inspection {
  /** Container format: mp3, wav, aiff, flac, ogg, m4a, … */
  format: string;
  /**
   * Fields read from the file's own tags: standard ones, and the custom
   * fields asked for (`Custom: <name>`).
   */
  tags: Meta;
  /** Length the container claims or ffprobe estimates, when known. */
  seconds?: number;
  /** An mp3 fit to be the mp3 rendition as it is (SourceFile.asIs). */
  asIs?: boolean;
}

/**
 * Looks at a stored file. Throws an ApiError `not_audio` with a reason
 * when it is no audio container at all, or the code of a source limit
 * (`too_many_channels`, `unsupported_sample_rate`, `source_too_long`)
 * when no rendition can be made of its audio; a container that later fails to decode is
 * accepted and errors in the pipeline, with its reason.
 */
export interface SourceInspector {
  inspect(path: string, options?: InspectOptions): Promise<Inspection>;
}

export interface InspectOptions {
  /** The site's custom field names, read from free-form tags. */
  customFields?: readonly string[];
}

/**
 * Inspects a received source where it is stored: an empty one is
 * refused before any probe, any other is looked at on a local copy.
 */
export async function inspectStored(
  inspector: SourceInspector,
  storage: Pick<Storage, 'localCopy'>,
  source: { storageKey: string; bytes: number },
  options: InspectOptions = {},
): Promise<Inspection> {
  if (source.bytes === 0) {
    throw new ApiError('not_audio', 'source is empty (0 bytes)');
  }
  const local = await storage.localCopy(source.storageKey);
  return inspector
    .inspect(local.path, options)
    .finally(() => local.release());
}
