/**
 * @ingest/media: the project's only adapter to ffmpeg/ffprobe, plus tag
 * reading and the upload-time audio check. Nothing outside this package
 * builds an ffmpeg command or reads ffmpeg's output.
 */
export {
  createMediaTools,
  DEFAULT_TIMEOUT_MS,
  type MediaTools,
  type MediaToolsOptions,
  type RunControl,
} from './media-tools';
export { defaultBinaryPaths, type BinaryPaths } from './binary-paths';
export type { MediaLogger } from './media-logger';
export {
  MediaError,
  isMediaError,
  MEDIA_ERROR_CODES,
  type MediaErrorCode,
} from './media-error';
export type { AudioStreamFacts, SourceProbe } from './probe';
export {
  MAX_CHANNELS,
  MAX_SAMPLE_RATE,
  MIN_SAMPLE_RATE,
  durationLimitProblem,
  sourceLimitProblem,
  type SourceLimitCode,
  type SourceLimitProblem,
} from './source-limits';
export { looksLikeAudio, sniffAudio, type AudioSniff } from './audio-sniff';
export { durationTolerance, formatSeconds, withinTolerance } from './verify';
export type { CoverChoice } from './cover-choice';
export type {
  RenditionReport,
  RenditionRequest,
  SourceReport,
  TranscodePlan,
  TranscodeResult,
} from './transcode';
export {
  OUTPUT_FORMATS,
  isOutputFormat,
  mp3AsIs,
  type OutputFormat,
  type SampleKind,
} from './encoding-policy';
export {
  STANDARD_TAG_FIELDS,
  type StandardTagField,
  type TrackMetadata,
} from './metadata-keys';
export {
  readTags,
  type CoverPicture,
  type ReadTagsOptions,
  type TagReadResult,
} from './tags-reader';
export type { ToolReport } from './tool-check';
