export * from './api-types';
export {
  IngestClient,
  partFileOf,
  type CallOptions,
  type DeleteTarget,
  type DownloadOptions,
  type IngestClientOptions,
  type SearchQuery,
  type TrackDownload,
  type UploadOptions,
  type UploadSource,
  type WaitOptions,
} from './ingest-client';
export {
  IngestApiError,
  type ErrorBody,
  type IngestErrorCode,
} from './ingest-api-error';
export { IngestNetworkError } from './ingest-network-error';
export { JobTimeoutError } from './job-timeout-error';
export type { ByteStream, FileInput } from './multipart-body';
export type { RetryEvent } from './http-transport';
export {
  DEFAULT_RETRY,
  retryDelay,
  type AttemptFailure,
  type RetryOptions,
} from './retry-policy';
