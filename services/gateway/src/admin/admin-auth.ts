import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ApiError } from '@ingest/core';

const COOKIE = 'ingest_admin';

/**
 * Lets through requests that carry the admin token: as
 * `Authorization: Bearer <token>`, or as a `token` query parameter once,
 * which is traded for a cookie (scoped to `path`) and a redirect to the
 * same page without the token, so it stays out of the address bar,
 * history and the dashboard's own requests.
 */
export function adminAuth(token: string, path: string): RequestHandler {
  // The cookie holds a value derived from the token, not the token.
  const session = createHmac('sha256', token)
    .update('ingest-admin-dashboard')
    .digest('base64url');

  return (req, res, next) => {
    const bearer = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (bearer !== undefined && same(bearer, token)) return next();
    if (same(cookieOf(req, COOKIE) ?? '', session)) return next();

    const given = req.query.token;
    if (typeof given === 'string' && same(given, token)) {
      res.cookie(COOKIE, session, {
        path,
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure || forwardedHttps(req),
      });
      res.redirect(303, withoutToken(req.originalUrl, path));
      return;
    }

    const err = new ApiError('unauthorized', 'admin token required');
    res.status(err.status).json(err.toBody());
  };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * True when a proxy in front says the browser came over HTTPS. Taken on
 * its word: a client that forges it only marks its own cookie `Secure`,
 * which its browser then keeps off plain HTTP.
 */
function forwardedHttps(req: Request): boolean {
  const proto = req.get('x-forwarded-proto')?.split(',')[0]?.trim();
  return proto?.toLowerCase() === 'https';
}

function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decoded(rest.join('='));
  }
  return undefined;
}

/**
 * A cookie value percent-decoded, or as sent when its escapes are broken
 * (`%E0`): anyone may send one, and it must answer 401, not 500.
 */
function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The page asked for, without `token`. Express matched the raw path, dot
 * segments and all (`/admin/queues/../..//elsewhere`), which the URL
 * parser resolves: a path that so leaves the dashboard would become a
 * `Location` of another host (`//elsewhere`), so the dashboard's own
 * root is given instead.
 */
function withoutToken(originalUrl: string, root: string): string {
  const url = new URL(originalUrl, 'http://gateway');
  url.searchParams.delete('token');
  const inside =
    url.pathname === root || url.pathname.startsWith(`${root}/`);
  return inside ? url.pathname + url.search : root;
}
