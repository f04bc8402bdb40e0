import http, {
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AddressCheck } from './guarded-lookup';
import { NetError } from './net-error';
import type { RequestTarget } from './request-target';

export interface Hop {
  target: RequestTarget;
  method: 'GET' | 'POST';
  headers: OutgoingHttpHeaders;
  body?: string | Buffer;
  lookup: LookupFunction;
  check: AddressCheck;
  signal: AbortSignal;
  /** Start of every error message. */
  prefix: string;
}

/** Sends one request and settles when its status line and headers arrive. */
export function sendHop(hop: Hop): Promise<IncomingMessage> {
  const { target, signal } = hop;

  // Sockets skip `lookup` for IP literals, so those are judged here.
  if (target.literalAddress !== undefined) {
    const refusal = hop.check(target.literalAddress, target.hostname);
    if (refusal) return Promise.reject(refusal);
  }
  if (signal.aborted) return Promise.reject(signal.reason);

  return new Promise((resolve, reject) => {
    const transport = target.url.protocol === 'https:' ? https : http;
    const req = transport.request({
      protocol: target.url.protocol,
      hostname: target.hostname,
      port: target.url.port === '' ? undefined : Number(target.url.port),
      path: `${target.url.pathname}${target.url.search}`,
      method: hop.method,
      headers: hop.headers,
      lookup: hop.lookup,
      // A fresh agent per hop: a pooled socket, opened under another
      // request's address policy, must never carry this one.
      agent: false,
    });

    const onAbort = (): void => {
      req.destroy(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    // `on`, not `once`: a late socket error after settling must not crash.
    req.on('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(connectError(error, hop));
    });
    req.once('response', (res) => {
      signal.removeEventListener('abort', onAbort);
      resolve(res);
    });
    req.end(hop.body);
  });
}

const PLAIN_CAUSES: Record<string, string> = {
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection closed before an answer',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

function connectError(error: Error, hop: Hop): Error {
  if (error instanceof NetError || error === hop.signal.reason) return error;

  const code = (error as NodeJS.ErrnoException).code ?? '';
  const plain =
    PLAIN_CAUSES[code] ??
    (/CERT|SSL|TLS/.test(code) ? `TLS failed (${code})` : error.message);
  return new NetError(
    'connect_failed',
    `${hop.prefix}: could not reach ${hop.target.hostname}: ${plain}`,
    { cause: error },
  );
}
