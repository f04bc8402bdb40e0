export * from './byte-meter';
export * from './file-storage';
export * from './open-storage';
export * from './s3-location';
export * from './s3-storage';
export { STALE_TEMP_MS, sweepStale } from './stale-temp';
export * from './storage';
export * from './s3-readiness';
export * from './storage-errors';
