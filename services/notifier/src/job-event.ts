import { createHash } from 'node:crypto';
import {
  OUTPUT_FORMATS,
  type Job,
  type JobCounts,
  type JobState,
  type Track,
  type TrackUpdate,
  type Upload,
} from '@ingest/core';

/** One rendition as the event reports it. */
export interface EventRendition {
  bytes: number;
  sha256: string;
  /** Decoded duration in seconds. */
  duration: number;
  /** Download URL; the client adds its own token. */
  url: string;
}

/** The body of a `job.completed` notification (SPEC §4). */
export interface JobCompletedEvent {
  type: 'job.completed';
  job_id: number;
  state: JobState;
  counts: JobCounts;
  tracks: {
    track_id: number;
    upload_id: number;
    formats: Record<string, EventRendition>;
  }[];
  /**
   * SPEC §4 has `{upload_id, error}`; `error_code` (an extension) is the
   * upload's error code for programs, as `list` gives it.
   */
  errors: {
    upload_id: number;
    error: string;
    error_code: string;
  }[];
  /**
   * The job's deferred track updates (an extension), which `counts`
   * counts as uploads. Apart from `tracks` and `errors`, which clients
   * read as the job's uploads: an update is made by no upload of the
   * job, and its failure is not that of the upload that made its track.
   * Only in the event of a job that has any (events kept from before it
   * have none either).
   */
  updates?: EventUpdate[];
  completed_at: string;
}

/** A deferred track update in a `job.completed` event. */
export interface EventUpdate {
  update_id: number;
  track_id: number;
  status: 'published' | 'error';
  /** Once published: the track's renditions as they stand, unless deleted since. */
  formats?: Record<string, EventRendition>;
  error?: string;
  error_code?: string;
}

export interface EventInput {
  job: Job;
  counts: JobCounts;
  uploads: Upload[];
  /** The job's deferred track updates; none by default. */
  updates?: TrackUpdate[];
  /** The tracks of the uploads, and those the updates changed. */
  tracks: Track[];
  /** Base URL of the gateway, without a trailing slash. */
  publicUrl: string;
  /** Used when the job carries no completion time. */
  now: Date;
}

/**
 * The event id of a job: deterministic, so every retry and every rebuild
 * carries the same one, and salted with the job's creation time so that
 * a fresh installation reusing job ids does not repeat old ids.
 */
export function eventIdOf(job: Pick<Job, 'id' | 'siteId' | 'createdAt'>) {
  const digest = createHash('sha256')
    .update(`${job.siteId}.${job.id}.${job.createdAt}`)
    .digest('hex');
  return `evt_${job.id}_${digest.slice(0, 20)}`;
}

export function buildJobEvent(input: EventInput): JobCompletedEvent {
  const { job, publicUrl } = input;
  const byUpload = new Map(input.tracks.map((t) => [t.uploadId, t]));
  const byId = new Map(input.tracks.map((t) => [t.id, t]));
  const uploads = [...input.uploads].sort((a, b) => a.id - b.id);
  const updates = [...(input.updates ?? [])].sort((a, b) => a.id - b.id);

  const uploadTracks = uploads
    .filter((u) => u.status === 'published' && byUpload.has(u.id))
    .map((u) => {
      const track = byUpload.get(u.id) as Track;
      return {
        track_id: track.id,
        upload_id: u.id,
        formats: renditionsOf(track, publicUrl),
      };
    });
  const listed = updates.flatMap((u) => eventUpdateOf(u, byId, publicUrl));
  const errors = uploads
    .filter((u) => u.status === 'error')
    .map((u) => ({ upload_id: u.id, ...errorOf(u) }));

  return {
    type: 'job.completed',
    job_id: job.id,
    state: job.state,
    counts: input.counts,
    tracks: uploadTracks,
    errors,
    ...(listed.length > 0 && { updates: listed }),
    completed_at: job.completedAt ?? input.now.toISOString(),
  };
}

/** A published or errored update as its event lists it; none other. */
function eventUpdateOf(
  update: TrackUpdate,
  tracks: Map<number, Track>,
  publicUrl: string,
): EventUpdate[] {
  const listed = { update_id: update.id, track_id: update.trackId };
  if (update.status === 'error') {
    return [{ ...listed, status: 'error', ...errorOf(update) }];
  }
  if (update.status !== 'published') return [];
  const track = tracks.get(update.trackId);
  // A track deleted since has no renditions to name.
  const formats = track ? { formats: renditionsOf(track, publicUrl) } : {};
  return [{ ...listed, status: 'published', ...formats }];
}

function errorOf(item: Pick<Upload, 'error' | 'errorCode'>) {
  return {
    error: item.error ?? 'failed',
    error_code: item.errorCode ?? 'internal',
  };
}

function renditionsOf(track: Track, publicUrl: string) {
  const formats: Record<string, EventRendition> = {};
  for (const format of OUTPUT_FORMATS) {
    const rendition = track.renditions[format];
    if (!rendition) continue;
    formats[format] = {
      bytes: rendition.bytes,
      sha256: rendition.sha256,
      duration: rendition.duration,
      url: downloadUrl(publicUrl, track.id, format),
    };
  }
  return formats;
}

export function downloadUrl(
  publicUrl: string,
  trackId: number,
  format: string,
): string {
  const query = new URLSearchParams({ track_id: String(trackId), format });
  return `${publicUrl}/api/tracks/download?${query}`;
}
