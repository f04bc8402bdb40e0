import {
  addedFormats,
  type Rendition,
  type Track,
  type TrackUpdate,
  type Upload,
} from '@ingest/core';

/** The public face of one rendition, as getById and list show it. */
export function presentRendition(
  rendition: Rendition,
  track: Track,
  publicUrl: string,
) {
  return {
    bytes: rendition.bytes,
    sha256: rendition.sha256,
    duration: rendition.duration,
    sample_rate: rendition.sampleRate,
    channels: rendition.channels,
    codec: rendition.codec,
    ...(rendition.bitDepth ? { bit_depth: rendition.bitDepth } : {}),
    ...(rendition.bitrate ? { bitrate: rendition.bitrate } : {}),
    url:
      `${publicUrl}/api/tracks/download?track_id=${track.id}` +
      `&format=${rendition.format}`,
  };
}

export function presentTrack(track: Track, publicUrl: string) {
  const formats = Object.fromEntries(
    Object.values(track.renditions).map((r) => [
      r.format,
      presentRendition(r, track, publicUrl),
    ]),
  );
  return {
    track_id: track.id,
    upload_id: track.uploadId,
    job_id: track.jobId,
    meta: track.meta,
    formats,
    created_at: track.createdAt,
  };
}

/** An upload as setFormats answers it. */
export function presentUpload(upload: Upload) {
  const sources = Object.keys(upload.sources);
  return {
    upload_id: upload.id,
    status: upload.status,
    formats: upload.formats,
    sources,
    meta: upload.meta,
    added: addedFormats(upload.formats, upload.sources),
  };
}

/** An update of a track as getById lists it: what became of it. */
export function presentUpdate(update: TrackUpdate) {
  return {
    update_id: update.id,
    status: update.status,
    formats: update.formats,
    immediate: update.immediate,
    ...(update.jobId ? { job_id: update.jobId } : {}),
    created_at: update.createdAt,
    ...(update.superseded ? { superseded_formats: update.superseded } : {}),
    ...(update.error ? { error: update.error } : {}),
    ...(update.errorCode ? { error_code: update.errorCode } : {}),
  };
}

/**
 * What `list` tells of an upload's sources. A waiting upload: its file
 * name and length, so a client can see which of its files would join it
 * (same name, another extension) and whether they are of its length;
 * past waiting, no source joins it. An errored upload: its file name, so
 * a client can tell people which of their files failed.
 */
export function sourceFacts(upload: Upload) {
  const named = upload.status === 'uploaded' || upload.status === 'error';
  const name = named && upload.fileName ? { file_name: upload.fileName } : {};
  if (upload.status !== 'uploaded') return name;
  const seconds = Object.values(upload.sources)[0]?.seconds;
  return {
    ...name,
    ...(seconds !== undefined ? { source_seconds: seconds } : {}),
  };
}
