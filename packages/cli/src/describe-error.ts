import { IngestApiError, IngestNetworkError } from '@ingest/client';

/** An SDK error as the CLI shows it: message, code, HTTP status. */
export function describeError(err: IngestApiError | IngestNetworkError) {
  if (err instanceof IngestApiError) {
    return { error: err.message, code: err.code as string, status: err.status };
  }
  return { error: err.message, code: 'network_error' };
}
