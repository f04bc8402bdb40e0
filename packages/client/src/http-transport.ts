import { setTimeout as sleep } from 'node:timers/promises';
import { isRecord, type AnswerCheck } from './answer-shapes';
import {
  AttemptTimer,
  idleBounded,
  type AttemptTimeouts,
} from './attempt-timer';
import { IngestApiError } from './ingest-api-error';
import { answeredWithoutTls, IngestNetworkError } from './ingest-network-error';
import { closedUnanswered, SPEAKS_TLS, speaksTls } from './tls-probe';
import { uploadFileErrorIn } from './upload-file-error';
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

/** What a streamed body tells about its progress, for the idle limit. */
export interface BodyProgress {
  /** A chunk was handed to the socket. */
  moved(): void;
  /** The last byte was. */
  sent(): void;
}

export interface RequestSpec {
  method: 'GET' | 'POST';
  /** Sent as the query string. */
  query?: URLSearchParams;
  makeBody?: (progress: BodyProgress) => RequestBody | Promise<RequestBody>;
  /** Safe to repeat after a 5xx or a broken connection. */
  idempotent: boolean;
  /**
   * Sent as `Idempotency-Key` with every attempt: the gateway answers a
   * repeat with the first answer, so a broken connection or a 5xx may be
   * retried, and `idempotency_in_progress` (409) means retry later.
   */
  idempotencyKey?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Limits of each attempt; a timed-out attempt is a network failure. */
  timeouts: AttemptTimeouts;
  /** For `json`: what the answer object must hold beyond being one. */
  check?: AnswerCheck;
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

  /**
   * Sends a call; answers its response once the headers are in, the body
   * unread but bounded by `idleMs` (or `answerMs`) per read.
   */
  send(endpoint: string, spec: RequestSpec): Promise<Response> {
    const idleMs = spec.timeouts.idleMs ?? spec.timeouts.answerMs;
    return this.exchange(endpoint, spec, async (res) => {
      if (!res.body) return res;
      const body = idleBounded(
        res.body,
        idleMs,
        (cause) => new IngestNetworkError(endpoint, cause),
      );
      return new Response(body, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
    });
  }

  /** Sends a call and reads its JSON answer, within the attempt's limit. */
  json<T>(endpoint: string, spec: RequestSpec): Promise<T> {
    return this.exchange(endpoint, spec, async (res) => {
      const text = await res.text();
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        // A proxy's or portal's page: answered, but not by the API.
        throw IngestApiError.notJson(endpoint, res, text);
      }
      // Every API answer is an object; `null` or `[]` would only break
      // the caller later, far from the call.
      const problem = isRecord(answer)
        ? spec.check?.(answer)
        : 'not a JSON object';
      if (problem) throw IngestApiError.misfit(endpoint, res, problem);
      return answer as T;
    });
  }

  /**
   * One call: attempts, each under its own timer, until `read` gets an
   * answer out of a 2xx response or the failure is final.
   */
  private async exchange<T>(
    endpoint: string,
    spec: RequestSpec,
    read: (res: Response) => Promise<T>,
  ): Promise<T> {
    const { retry } = this.options;
    const keyed = spec.idempotencyKey !== undefined;
    // With a key, a repeat cannot do the work twice.
    const safe = spec.idempotent || keyed;
    const probe = { done: false };
    for (let attempt = 0; ; attempt++) {
      const timer = new AttemptTimer(spec.timeouts);
      const body = await spec.makeBody?.({
        moved: () => timer.moved(),
        sent: () => timer.sent(),
      });
      const canRetry = attempt < retry.retries && !body?.oneShot;
      const signal = spec.signal
        ? AbortSignal.any([spec.signal, timer.signal])
        : timer.signal;
      let failure: AttemptFailure;

      timer.start(body?.streamed === true);
      try {
        const res = await this.attempt(endpoint, spec, body, signal);
        if (res.ok) return await read(res);
        failure = statusOf(res);
        const error = await IngestApiError.fromResponse(endpoint, res);
        if (!canRetry || !isRetryable(failure, safe) || namesStored(error)) {
          // The first attempt, cut off on our side, still runs there.
          const running = error.code === 'idempotency_in_progress';
          if (!(canRetry && keyed && running)) {
            // "retry later" alone would hide that the SDK did, in vain.
            if (running && attempt > 0) {
              error.message +=
                ` (gave up after ${attempt + 1} attempts with this key; a ` +
                "later call with the same key gets the first request's answer)";
            }
            throw error;
          }
        }
      } catch (err) {
        if (err instanceof IngestApiError || spec.signal?.aborted) throw err;
        // The file being sent failed, not the network.
        const local = uploadFileErrorIn(err);
        if (local) throw local;
        failure = { kind: 'network', error: err };
        const wrong = await this.wrongScheme(err, probe, spec.signal);
        if (wrong) throw new IngestNetworkError(endpoint, err, wrong.reason);
        if (!canRetry || !isRetryable(failure, safe)) {
          throw new IngestNetworkError(endpoint, err);
        }
      } finally {
        timer.stop();
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

  /**
   * Whether `err` comes of the wrong scheme for the server, which no
   * retry mends, and what to say of it: https:// at a server that
   * answered without TLS (IngestNetworkError says so), or http:// at one
   * that closed the call unanswered and completes a TLS handshake (tried
   * once per call: such a close alone could be any server's).
   */
  private async wrongScheme(
    err: unknown,
    probe: { done: boolean },
    signal?: AbortSignal,
  ): Promise<{ reason?: string } | undefined> {
    const base = new URL(this.options.baseUrl);
    if (base.protocol === 'https:' && answeredWithoutTls(err)) return {};
    if (base.protocol !== 'http:' || probe.done || !closedUnanswered(err)) return undefined;
    probe.done = true;
    return (await speaksTls(base, signal)) ? { reason: SPEAKS_TLS } : undefined;
  }

  private attempt(
    endpoint: string,
    spec: RequestSpec,
    body: RequestBody | undefined,
    signal: AbortSignal,
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
        ...(spec.idempotencyKey !== undefined && {
          'idempotency-key': spec.idempotencyKey,
        }),
      },
      body: body?.body,
      signal,
    };
    if (body?.streamed) init.duplex = 'half';
    return this.options.fetch(url, init);
  }
}

/**
 * A 5xx naming what its call stored (`upload 5 was stored, but …`): the
 * call's last word. A repeat would only be told the same (its key keeps
 * the answer) after sending the file again, or without a key store
 * nothing more than a `duplicate_upload` refusal that hides the upload.
 */
function namesStored(error: IngestApiError): boolean {
  if (error.status < 500) return false;
  const { upload_id: upload, update_id: update } = error.body;
  return typeof upload === 'number' || typeof update === 'number';
}

function statusOf(res: Response): AttemptFailure {
  return {
    kind: 'status',
    status: res.status,
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
  };
}
