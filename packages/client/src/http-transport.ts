import { setTimeout as sleep } from 'node:timers/promises';
import { IngestApiError } from './ingest-api-error';
import { IngestNetworkError } from './ingest-network-error';
import {
  isRetryable,
  parseRetryAfter,
  retryDelay,
  type AttemptFailure,
  type RetryOptions,
} from './retry-policy';

/** The body of one attempt; made anew for each, so retries can resend it. */
export interface RequestBody {
  body: NonNullable<RequestInit['body']>;
  headers?: Record<string, string>;
  /** A stream body: fetch needs `duplex: 'half'`. */
  streamed?: boolean;
  /** Its bytes can be read only once, so the call is never resent. */
  oneShot?: boolean;
}

export interface RequestSpec {
  method: 'GET' | 'POST';
  /** Sent as the query string. */
  query?: URLSearchParams;
  makeBody?: () => RequestBody | Promise<RequestBody>;
  /** Safe to repeat after a 5xx or a broken connection. */
  idempotent: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Told before each retry; for logs and progress displays. */
export interface RetryEvent {
  endpoint: string;
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  failure: AttemptFailure;
}

export interface TransportOptions {
  baseUrl: string;
  token: string;
  retry: RetryOptions;
  fetch: typeof fetch;
  userAgent: string;
  onRetry?: (event: RetryEvent) => void;
}

/**
 * Sends one API call: the Bearer token, retries with backoff, and a
 * typed error for a failed answer. Answers are returned unread.
 */
export class HttpTransport {
  constructor(private readonly options: TransportOptions) {}

  async send(endpoint: string, spec: RequestSpec): Promise<Response> {
    const { retry } = this.options;
    for (let attempt = 0; ; attempt++) {
      const body = await spec.makeBody?.();
      const canRetry = attempt < retry.retries && !body?.oneShot;
      let failure: AttemptFailure;

      try {
        const res = await this.attempt(endpoint, spec, body);
        if (res.ok) return res;
        if (!canRetry || !isRetryable(statusOf(res), spec.idempotent)) {
          throw await IngestApiError.fromResponse(endpoint, res);
        }
        failure = statusOf(res);
        await res.body?.cancel().catch(() => undefined);
      } catch (err) {
        if (err instanceof IngestApiError || spec.signal?.aborted) throw err;
        failure = { kind: 'network', error: err };
        if (!canRetry || !isRetryable(failure, spec.idempotent)) {
          throw new IngestNetworkError(endpoint, err);
        }
      }

      const retryAfter =
        failure.kind === 'status' ? failure.retryAfterMs : undefined;
      const delayMs = retryDelay(attempt, retry, retryAfter);
      this.options.onRetry?.({
        endpoint,
        retry: attempt + 1,
        delayMs,
        failure,
      });
      await sleep(delayMs, undefined, { signal: spec.signal });
    }
  }

  /** Sends a call and reads its JSON answer. */
  async json<T>(endpoint: string, spec: RequestSpec): Promise<T> {
    const res = await this.send(endpoint, spec);
    return (await res.json()) as T;
  }

  private attempt(
    endpoint: string,
    spec: RequestSpec,
    body: RequestBody | undefined,
  ): Promise<Response> {
    // Relative to the base, so a gateway under a path prefix works.
    const url = new URL(endpoint.replace(/^\//, ''), this.options.baseUrl);
    if (spec.query) url.search = spec.query.toString();
    const init: RequestInit & { duplex?: 'half' } = {
      method: spec.method,
      headers: {
        authorization: `Bearer ${this.options.token}`,
        accept: 'application/json',
        'user-agent': this.options.userAgent,
        ...spec.headers,
        ...body?.headers,
      },
      body: body?.body,
      signal: spec.signal,
    };
    if (body?.streamed) init.duplex = 'half';
    return this.options.fetch(url, init);
  }
}

function statusOf(res: Response): AttemptFailure {
  return {
    kind: 'status',
    status: res.status,
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
  };
}
