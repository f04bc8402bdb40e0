import type { Track, Upload } from '@ingest/core';
import type { StateStore } from '@ingest/state';
import type { JobCompletedEvent } from './job-event';

/** What a person knows an upload by, besides its id. */
export interface UploadLabel {
  /** The client's name of the file it was made from. */
  fileName?: string;
  /** The track's Title (the upload's own while it has no track). */
  title?: string;
}

/** Labels by upload id; an upload missing from it shows by id alone. */
export type UploadLabels = ReadonlyMap<number, UploadLabel>;

/**
 * The labels of the uploads an event lists, as the state holds them when
 * the email is made. They stay out of the event itself: that is the
 * webhook's body, whose shape SPEC §4 fixes. An upload or track removed
 * since is left out, and shows by its id.
 */
export async function uploadLabels(
  store: StateStore,
  event: JobCompletedEvent,
): Promise<UploadLabels> {
  const [uploads, tracks] = await Promise.all([
    store.listUploads(event.job_id),
    store.tracksOf(event.tracks.map((t) => t.track_id)),
  ]);
  const trackOf = new Map(tracks.map((t) => [t.uploadId, t]));
  const labels = new Map<number, UploadLabel>();
  for (const upload of uploads) {
    labels.set(upload.id, labelOf(upload, trackOf.get(upload.id)));
  }
  return labels;
}

function labelOf(upload: Upload, track: Track | undefined): UploadLabel {
  const fileName =
    upload.fileName ||
    Object.values(upload.sources)[0]?.filename ||
    upload.meta.Filename;
  const title = (track ?? upload).meta.Title;
  return {
    ...(fileName ? { fileName } : {}),
    ...(title ? { title } : {}),
  };
}
