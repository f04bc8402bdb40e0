import type { Meta, SourceFile, Track, UploadStatus } from './domain';
import type { OutputFormat } from './formats';

/**
 * A new source for a published track (`upload` with `track_id`). It
 * replaces the renditions in `formats` when applied: at once when
 * `immediate`, otherwise when its job publishes. The track keeps its id.
 */
export interface TrackUpdate {
  id: number;
  siteId: number;
  trackId: number;
  /** The upload the track was made from; names its transcode jobs. */
  uploadId: number;
  /** The job it waits in and counts in; 0 for an immediate update. */
  jobId: number;
  immediate: boolean;
  status: UploadStatus;
  /** The renditions it replaces (or adds). */
  formats: OutputFormat[];
  sources: Record<string, SourceFile>;
  /** Fields merged into the track's meta when applied (blank clears). */
  meta?: Meta;
  createdAt: string;
  /**
   * Formats of a published update whose file was dropped: a newer update
   * had replaced them already (see update-order.ts).
   */
  superseded?: OutputFormat[];
  error?: string;
  errorCode?: string;
}

/** The track's meta after an update's fields are merged into it. */
export function mergeMeta(base: Meta, given: Meta | undefined): Meta {
  const meta = { ...base };
  for (const [field, value] of Object.entries(given ?? {})) {
    if (value.trim() === '') delete meta[field];
    else meta[field] = value;
  }
  return meta;
}

/**
 * Bytes of the track's renditions in `formats` (those it has): what an
 * update of those formats frees in its site's INGEST_SITE_QUOTA.
 */
export function renditionBytes(
  track: Pick<Track, 'renditions'>,
  formats: readonly OutputFormat[],
): number {
  return formats.reduce((sum, f) => sum + (track.renditions[f]?.bytes ?? 0), 0);
}
