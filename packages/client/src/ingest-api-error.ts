import type { ErrorCode } from '@ingest/core';
import { parseRetryAfter } from './retry-policy';

/**
 * A code the API answers with (see `ERRORS` in @ingest/core), or one the
 * SDK gives an answer that carried none: `http_<status>` for a non-JSON
 * failure (a proxy page, say), `invalid_answer` for a success whose body
 * is not JSON.
 */
export type IngestErrorCode = ErrorCode | `http_${number}` | 'invalid_answer';

/** The JSON body of a failed call (SPEC §1): `error`, `code` and extras. */
export interface ErrorBody {
  error: string;
  code: string;
  [extra: string]: unknown;
}

/**
 * A call the API refused or failed. Branch on `code` (stable), never on
 * `message` (human text). `body` holds the extras, e.g. `fields` of
 * `unknown_fields`.
 */
export class IngestApiError extends Error {
  readonly code: IngestErrorCode;
  readonly status: number;
  readonly body: ErrorBody;
  /** The gateway's `X-Request-Id`, for matching its logs. */
  readonly requestId?: string;
  /** The endpoint path that answered, e.g. `/api/import/upload`. */
  readonly endpoint: string;
  /** The answer's `Retry-After`, in ms, when it had one. */
  retryAfterMs?: number;

  constructor(
    endpoint: string,
    status: number,
    body: ErrorBody,
    requestId?: string,
    /** `cause`: what made the SDK give this answer, when it made it. */
    options?: ErrorOptions,
  ) {
    super(body.error, options);
    this.name = 'IngestApiError';
    this.endpoint = endpoint;
    this.status = status;
    this.code = body.code as IngestErrorCode;
    this.body = body;
    this.requestId = requestId;
  }

  /** Builds the error from a failed response, reading its body. */
  static async fromResponse(
    endpoint: string,
    res: Response,
  ): Promise<IngestApiError> {
    const text = await res.text().catch(() => '');
    const requestId = res.headers.get('x-request-id') ?? undefined;
    const error = new IngestApiError(
      endpoint,
      res.status,
      parseErrorBody(text, res.status),
      requestId,
    );
    error.retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    return error;
  }

  /** A 2xx whose body is not JSON: something other than the API answered. */
  static notJson(endpoint: string, res: Response, text: string): IngestApiError {
    const type = res.headers.get('content-type') || 'no content type';
    const excerpt = excerptOf(text);
    return new IngestApiError(
      endpoint,
      res.status,
      {
        error:
          `answer is not JSON: ${type}, HTTP ${res.status}` +
          (excerpt ? `: ${excerpt}` : ''),
        code: 'invalid_answer',
      },
      res.headers.get('x-request-id') ?? undefined,
    );
  }

  /** A 2xx JSON answer without the fields its call's answer has. */
  static misfit(endpoint: string, res: Response, problem: string): IngestApiError {
    return new IngestApiError(
      endpoint,
      res.status,
      {
        error: `answer does not fit the API (${problem}), HTTP ${res.status}`,
        code: 'invalid_answer',
      },
      res.headers.get('x-request-id') ?? undefined,
    );
  }
}

/** Keeps an error message to one readable line. */
function excerptOf(text: string): string {
  return text.trim().replace(/\s+/g, ' ').slice(0, 200);
}

function parseErrorBody(text: string, status: number): ErrorBody {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const body = parsed as Record<string, unknown>;
      return {
        ...body,
        error: typeof body.error === 'string' ? body.error : `HTTP ${status}`,
        code: typeof body.code === 'string' ? body.code : `http_${status}`,
      };
    }
  } catch {
    // not JSON: fall through to a generic body
  }
  const excerpt = excerptOf(text);
  return {
    error: excerpt ? `HTTP ${status}: ${excerpt}` : `HTTP ${status}`,
    code: `http_${status}`,
  };
}
