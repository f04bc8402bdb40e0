import type { OutputFormat } from './formats';

export type Meta = Record<string, string>;

/** Lifecycle of an upload; checkJob folds it into q / i / d / e. */
export type UploadStatus =
  | 'uploaded'
  | 'queued'
  | 'transcoding'
  | 'published'
  | 'error';

export type JobState = 'open' | 'publishing' | 'complete';

export interface Site {
  id: number;
  name: string;
  contactEmail?: string;
  /** Standard Webhooks secret, `whsec_<base64>`. */
  webhookSecret: string;
  /**
   * Secrets `site:rotate` replaced, each still signing beside the new one
   * until its `until` (ms since the epoch), so receivers can switch.
   */
  formerSecrets?: { secret: string; until: number }[];
  /** Names of the site's custom fields, without the `Custom: ` prefix. */
  customFields: string[];
}

/** A stored source file of an upload. */
export interface SourceFile {
  /** Container format as probed: mp3, wav, aiff, flac, ogg, m4a, … */
  format: string;
  storageKey: string;
  /** The client's file name, for display and the Filename field only. */
  filename: string;
  bytes: number;
  sha256: string;
  /**
   * Length as the container declares it or ffprobe estimates it, seconds;
   * only a hint for ordering work (durations that count are decoded).
   */
  seconds?: number;
  /**
   * An mp3 that already is what an mp3 rendition must be (320 kb/s, 44.1
   * or 48 kHz): the rendition is taken from it as it is, not encoded.
   */
  asIs?: boolean;
}

export interface Upload {
  id: number;
  siteId: number;
  jobId: number;
  status: UploadStatus;
  formats: OutputFormat[];
  /** Sources by their format; one per format. */
  sources: Record<string, SourceFile>;
  meta: Meta;
  createdAt: string;
  /** The client gave `formats`; new sources then do not change them. */
  formatsGiven?: boolean;
  /** Name the upload was made from; its stem matches secondary sources. */
  fileName?: string;
  /** Lower-cased `fileName` without extension, as indexed in its job. */
  stem?: string;
  trackId?: number;
  error?: string;
  errorCode?: string;
}

/** Facts of one verified rendition (SPEC §3 "Reported facts"). */
export interface Rendition {
  format: OutputFormat;
  storageKey: string;
  bytes: number;
  sha256: string;
  /** Decoded duration in seconds. */
  duration: number;
  sampleRate: number;
  channels: number;
  codec: string;
  bitDepth?: number;
  /** Bits per second, for lossy formats. */
  bitrate?: number;
  /**
   * When this version of the file was recorded (ISO 8601), in a later
   * whole second than the version it replaced (`nextStoredAt`): downloads
   * send it as `Last-Modified`. Absent on renditions stored before it was.
   */
  storedAt?: string;
  /** The track update whose source made it; absent: the upload's own. */
  updateId?: number;
}

export interface Track {
  id: number;
  siteId: number;
  uploadId: number;
  jobId: number;
  meta: Meta;
  /**
   * The update that last set or cleared each field of `meta`; a field
   * not listed is the upload's own. Lets updates merge in id order.
   */
  metaVersions?: Record<string, number>;
  renditions: Partial<Record<OutputFormat, Rendition>>;
  createdAt: string;
}

export interface Job {
  id: number;
  siteId: number;
  name: string;
  /** A job made by createJob; the site's main job is not. */
  created: boolean;
  email?: string;
  oncomplete?: string;
  state: JobState;
  createdAt: string;
  publishedAt?: string;
  completedAt?: string;
}

export interface JobCounts {
  q: number;
  i: number;
  d: number;
  e: number;
}
