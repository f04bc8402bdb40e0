import { IngestApiError, type ErrorBody } from '@ingest/client';
import { ERRORS } from '@ingest/core';

/** What `IngestApiError.endpoint` says for an answer of the queue. */
export const IMPORTS_ENDPOINT = 'queue:imports';

/**
 * The error of a failed import job. The gateway fails it with the JSON
 * error body HTTP would have answered (`{error, code, …}`); `status` is
 * the HTTP status of that code. A reason that is no such body (a job
 * failed by something else) reads as `internal`.
 */
export function importFailure(
  failedReason: string | undefined,
  requestId?: string,
): IngestApiError {
  const body = parseBody(failedReason);
  const status = Object.hasOwn(ERRORS, body.code)
    ? ERRORS[body.code as keyof typeof ERRORS].status
    : 500;
  return new IngestApiError(
    IMPORTS_ENDPOINT,
    status,
    body,
    requestId,
  );
}

function parseBody(reason: string | undefined): ErrorBody {
  try {
    const parsed: unknown = JSON.parse(reason ?? '');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const body = parsed as Record<string, unknown>;
      if (typeof body.error === 'string' && typeof body.code === 'string') {
        return body as ErrorBody;
      }
    }
  } catch {
    // not a body of ours: fall through
  }
  return {
    error: reason?.trim() ? `import failed: ${reason.trim()}` : 'import failed',
    code: 'internal',
  };
}
