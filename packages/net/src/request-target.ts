import net from 'node:net';
import { NetError, type NetErrorCode } from './net-error';

/** A URL that passed the scheme and credentials rules. */
export interface RequestTarget {
  url: URL;
  /** Host without IPv6 brackets, as sockets and resolvers want it. */
  hostname: string;
  /** Set when the host is an IP literal, which no resolver will see. */
  literalAddress?: string;
}

/**
 * Parses what a client gave us. Messages name the host at most, never the
 * whole URL: signed URLs carry secrets and these messages get stored.
 */
export function parseTarget(raw: string, prefix: string): RequestTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NetError('bad_url', `${prefix}: not a valid URL`);
  }
  return checkTarget(url, prefix, 'URL', 'bad_url');
}

/** Resolves a Location header against the URL that answered with it. */
export function redirectTarget(
  location: string,
  from: URL,
  prefix: string,
): RequestTarget {
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    throw new NetError(
      'bad_redirect',
      `${prefix}: redirect location is not a valid URL`,
    );
  }
  return checkTarget(url, prefix, 'redirect', 'bad_redirect');
}

/** Two URLs that differ only in their fragment are the same request. */
export function visitKey(url: URL): string {
  const copy = new URL(url);
  copy.hash = '';
  return copy.href;
}

export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}

function checkTarget(
  url: URL,
  prefix: string,
  what: string,
  code: NetErrorCode,
): RequestTarget {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NetError(
      code,
      `${prefix}: ${what} scheme ${url.protocol} is not allowed, ` +
        'only http and https',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new NetError(
      code,
      `${prefix}: ${what} must not carry a user name or password`,
    );
  }

  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (hostname === '') {
    throw new NetError(code, `${prefix}: ${what} has no host`);
  }
  const literalAddress = net.isIP(hostname) ? hostname : undefined;
  return { url, hostname, literalAddress };
}
