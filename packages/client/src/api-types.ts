import type {
  JobState,
  Meta,
  OutputFormat,
  UploadStatus,
} from '@ingest/core';

export type { JobState, Meta, OutputFormat, UploadStatus };
export { OUTPUT_FORMATS } from '@ingest/core';

/** `upload` of a new source (SPEC §2). */
export interface UploadResult {
  upload_id: number;
  status: 'uploaded';
  formats: OutputFormat[];
  /** Formats of the stored sources (mp3, wav, ogg…). */
  sources: string[];
  meta: Meta;
}

/** `upload` with `track_id`: an update of a published track. */
export interface TrackUpdateResult {
  result: 'uploaded';
  update_to: number;
  update_id: number;
}

export interface SetMetadataResult {
  result: 'success';
  upload_id: number;
  meta: Meta;
}

export interface SetFormatsResult {
  result: 'success';
  track: {
    upload_id: number;
    status: UploadStatus;
    formats: OutputFormat[];
    sources: string[];
    meta: Meta;
    /** Formats that will be encoded rather than taken from a source. */
    added: OutputFormat[];
  };
}

export interface AvailableFields {
  /** Standard names; party fields as patterns (`Writer {X} PRO`). */
  fields: string[];
  /** The site's custom fields, `Custom: <name>`. */
  custom_fields: string[];
}

export interface CreateJobResult {
  job_id: number;
}

export interface PublishResult {
  result: 'success';
  job_id: number;
  /** Uploads queued for transcoding by this call. */
  queued: number;
  oncomplete: string | null;
}

/** One notification attempt, as checkJob lists them. */
export interface DeliveryAttempt {
  channel: 'webhook' | 'email';
  target: string;
  eventId: string;
  attempt: number;
  at: string;
  durationMs: number;
  ok: boolean;
  status?: number;
  error?: string;
}

/** `checkJob`: q waiting, i transcoding, d published, e errored. */
export interface JobProgress {
  job_id: number;
  state: JobState;
  q: number;
  i: number;
  d: number;
  e: number;
  deliveries?: DeliveryAttempt[];
}

/** Facts of one rendition of a published track. */
export interface RenditionInfo {
  bytes: number;
  sha256: string;
  /** Decoded duration, seconds. */
  duration: number;
  sample_rate: number;
  channels: number;
  codec: string;
  bit_depth?: number;
  /** Bits per second, lossy formats only. */
  bitrate?: number;
  /** Where `download` fetches it from. */
  url: string;
}

export type Renditions = Partial<Record<OutputFormat, RenditionInfo>>;

export interface ListedUpload {
  upload_id: number;
  track_id: number | null;
  status: UploadStatus;
  formats: OutputFormat[];
  /** Why it errored, for people. */
  error?: string;
  /** Why it errored, for programs (`truncated`, `no_audio`…). */
  error_code?: string;
  renditions?: Renditions;
  /**
   * A waiting or errored upload: the file name it was made from (of a URL
   * source, the file fetched); while it waits, a later source of that name
   * joins it.
   */
  file_name?: string;
  /** Its first source's length as the file's header gives it, seconds. */
  source_seconds?: number;
}

export interface JobListing {
  job_id: number;
  state: JobState;
  tracks: ListedUpload[];
}

export interface DeleteResult {
  result: 'success';
  deleted: number;
}

export interface TrackInfo {
  track_id: number;
  upload_id: number;
  job_id: number;
  meta: Meta;
  formats: Renditions;
  created_at: string;
}

/** One update of a track (an upload with `track_id`) and its outcome. */
export interface TrackUpdateState {
  update_id: number;
  status: UploadStatus;
  formats: OutputFormat[];
  immediate: boolean;
  /** The job it waits in; absent when immediate. */
  job_id?: number;
  created_at: string;
  /**
   * Formats whose new file was dropped because a newer update had
   * replaced them already (updates apply in update_id order).
   */
  superseded_formats?: OutputFormat[];
  /** Why it errored; the track then kept its renditions. */
  error?: string;
  error_code?: string;
}

export interface TrackResult {
  /** getById adds the track's latest 20 updates, oldest first. */
  track: TrackInfo & { updates: TrackUpdateState[] };
}

/** `/api/tracks/search`: one page of matching indexed tracks. */
export interface SearchResult {
  /** Matches in all pages. */
  total: number;
  /** This page, from 0. */
  pg: number;
  /** Page size. */
  show: number;
  tracks: TrackInfo[];
}

/** `/api/tracks/delete` (beyond SourceAudio). */
export interface TrackDeleteResult {
  result: 'success';
  track_id: number;
  /** Formats whose files were removed. */
  formats: OutputFormat[];
}
