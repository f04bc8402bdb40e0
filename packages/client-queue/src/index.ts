export type { ImportPayloadV1 } from '@ingest/queue';
export { IMPORT_PAYLOAD_VERSION } from '@ingest/queue';
export {
  QueueImporter,
  type EnqueueOptions,
  type QueueImporterOptions,
  type WaitForImportOptions,
} from './queue-importer';
export { IMPORTS_ENDPOINT, importFailure } from './import-failure';
export { ImportTimeoutError } from './import-timeout-error';
export { ImportUnconfirmedError } from './import-unconfirmed-error';
export { RedisUnreachableError } from './redis-unreachable-error';
