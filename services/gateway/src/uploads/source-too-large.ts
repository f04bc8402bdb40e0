import { ApiError } from '@ingest/core';
import { formatBytes } from '@ingest/net';

/** A source past INGEST_MAX_SOURCE_BYTES, however it came. */
export function sourceTooLarge(maxBytes: number): ApiError {
  // Worded as a URL fetch past the cap is (safeRequest): `2 GiB`.
  return new ApiError(
    'source_too_large',
    `source is larger than the limit of ${formatBytes(maxBytes)}`,
    { max_bytes: maxBytes },
  );
}
