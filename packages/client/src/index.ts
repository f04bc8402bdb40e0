export * from './api-types';
export { IngestClient } from './ingest-client';
export type {
  CallOptions,
  DeleteTarget,
  DownloadOptions,
  IngestClientOptions,
  KeyedCallOptions,
  SearchQuery,
  TrackDownload,
  UploadOptions,
  UploadSource,
  WaitOptions,
} from './client-options';
export { cutToBytes, partFileOf } from './download-file';
export { RequestTimeoutError } from './attempt-timer';
export {
  IngestApiError,
  type ErrorBody,
  type IngestErrorCode,
} from './ingest-api-error';
export { IngestNetworkError } from './ingest-network-error';
export { JobTimeoutError } from './job-timeout-error';
export { UploadFileError } from './upload-file-error';
export type { ByteStream, FileInput } from './multipart-body';
export type { RetryEvent } from './http-transport';
export {
  DEFAULT_RETRY,
  retryDelay,
  type AttemptFailure,
  type RetryOptions,
} from './retry-policy';
export { MAX_TIMER_MS, timerMs } from './timer-limits';
export { headerSafe } from './header-value';
export { baseUrlProblem, shownUrl } from './base-url';
