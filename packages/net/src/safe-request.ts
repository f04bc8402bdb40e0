import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { addressPolicy } from './address-policy';
import { startDeadline, type ExchangeDeadline } from './exchange-deadline';
import { guardBody } from './guarded-body';
import { guardedLookup, type Resolver, systemResolver } from './guarded-lookup';
import { formatBytes, formatSeconds } from './human-units';
import { NetError } from './net-error';
import {
  parseTarget,
  redirectTarget,
  type RequestTarget,
  sameOrigin,
  visitKey,
} from './request-target';
import { sendHop } from './send-hop';

export interface SafeRequestOptions {
  /** Default GET. */
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent with the first hop only; redirects are never followed for POST. */
  body?: string | Buffer;
  /** Milliseconds for the whole exchange: connect, every hop, the body. */
  timeoutMs: number;
  /** Redirects followed for GET; a POST answers its 3xx as is. */
  maxRedirects: number;
  /** Largest response body in bytes; past it the body stream errors. */
  maxBytes?: number;
  /** Lifts the address rule (SPEC §5) for local use and tests. */
  allowPrivate: boolean;
  signal?: AbortSignal;
  /**
   * Start of every error message, saying what failed, e.g. "source could
   * not be fetched". Default "request failed".
   */
  errorPrefix?: string;
  /** Host name resolution. Default: the system resolver. Tests swap it. */
  resolve?: Resolver;
  /**
   * Lets single addresses through that the rule would refuse, narrower
   * than `allowPrivate` (tests: one loopback server). Default: none.
   */
  allowAddress?: (address: string) => boolean;
}

export interface SafeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Final URL after redirects. */
  url: string;
  /** The consumer must read or destroy it; it errors with a NetError. */
  body: Readable;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Not forwarded to another origin: they are the first origin's secrets. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * The project's one way out to the network (SPEC §5): refuses private and
 * metadata addresses on every hop, at connect time, and bounds redirects,
 * time and bytes. Non-2xx answers are returned, not thrown.
 */
export async function safeRequest(
  url: string,
  options: SafeRequestOptions,
): Promise<SafeResponse> {
  checkOptions(options);
  const prefix = options.errorPrefix ?? 'request failed';
  const method = options.method ?? 'GET';
  let target = parseTarget(url, prefix);

  let inBody = false;
  const seconds = formatSeconds(options.timeoutMs);
  const deadline = startDeadline(options.timeoutMs, options.signal, () => {
    const what = inBody ? 'response not complete' : 'no answer';
    return new NetError('timeout', `${prefix}: ${what} within ${seconds}`);
  });

  const check = addressPolicy(options, prefix);
  const lookup = guardedLookup(options.resolve ?? systemResolver, check);
  let headers = outgoingHeaders(options);
  const visited = new Set([visitKey(target.url)]);

  try {
    for (let redirects = 0; ; redirects += 1) {
      const res = await sendHop({
        target,
        method,
        headers,
        body: redirects === 0 ? options.body : undefined,
        lookup,
        check,
        signal: deadline.signal,
        prefix,
      });

      const location = res.headers.location;
      const status = res.statusCode ?? 0;
      if (method !== 'GET' || !REDIRECT_STATUSES.has(status) || !location) {
        inBody = true;
        return respond(res, target, options, deadline, prefix);
      }
      res.destroy();

      const next = redirectTarget(location, target.url, prefix);
      const key = visitKey(next.url);
      if (visited.has(key)) {
        throw new NetError(
          'redirect_loop',
          `${prefix}: redirects lead back to a URL already visited`,
        );
      }
      if (redirects + 1 > options.maxRedirects) {
        throw new NetError(
          'too_many_redirects',
          `${prefix}: redirect limit of ${options.maxRedirects} exceeded`,
        );
      }
      visited.add(key);
      if (!sameOrigin(target.url, next.url)) {
        headers = withoutCredentials(headers);
      }
      target = next;
    }
  } catch (error) {
    deadline.dispose();
    throw error;
  }
}

function respond(
  res: IncomingMessage,
  target: RequestTarget,
  options: SafeRequestOptions,
  deadline: ExchangeDeadline,
  prefix: string,
): SafeResponse {
  const tooLarge = (limit: number): NetError =>
    new NetError(
      'too_large',
      `${prefix}: response is larger than the limit of ${formatBytes(limit)}`,
    );

  // Refusing on the announced size saves reading up to the limit first.
  const announced = Number(res.headers['content-length']);
  if (options.maxBytes !== undefined && announced > options.maxBytes) {
    res.destroy();
    throw tooLarge(options.maxBytes);
  }

  const body = guardBody(res, {
    maxBytes: options.maxBytes,
    signal: deadline.signal,
    tooLarge,
    broken: (cause) =>
      new NetError(
        'connect_failed',
        `${prefix}: connection to ${target.hostname} broke ` +
          'before the response was complete',
        { cause },
      ),
    onClose: () => deadline.dispose(),
  });
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    url: target.url.href,
    body,
  };
}

function outgoingHeaders(options: SafeRequestOptions): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    headers[name.toLowerCase()] = value;
  }
  if (options.body !== undefined && headers['content-length'] === undefined) {
    headers['content-length'] = Buffer.byteLength(options.body);
  }
  return headers;
}

function withoutCredentials(
  headers: OutgoingHttpHeaders,
): OutgoingHttpHeaders {
  const kept = { ...headers };
  for (const name of CREDENTIAL_HEADERS) delete kept[name];
  return kept;
}

/** Wrong limits are the caller's bug, not a network failure. */
function checkOptions(options: SafeRequestOptions): void {
  if (!(options.timeoutMs > 0) || !Number.isFinite(options.timeoutMs)) {
    throw new RangeError('timeoutMs must be a positive number');
  }
  if (!Number.isInteger(options.maxRedirects) || options.maxRedirects < 0) {
    throw new RangeError('maxRedirects must be a whole number ≥ 0');
  }
  if (options.maxBytes !== undefined && !(options.maxBytes >= 0)) {
    throw new RangeError('maxBytes must be a number ≥ 0');
  }
}
