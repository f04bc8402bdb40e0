import type { IncomingHttpHeaders } from 'node:http';

/** What identifies the version of a file a GET or HEAD would answer. */
export interface Validators {
  /** A strong entity tag, quoted: `"…"`. */
  etag: string;
  /** When that version was stored; none when unknown. */
  lastModified?: Date;
}

/**
 * What the request's preconditions say should happen: `failed` when
 * If-Match or If-Unmodified-Since no longer holds, `matched` when a
 * method other than GET or HEAD names the current version in
 * If-None-Match (412 too, but the file did not change).
 */
export type Precondition = 'proceed' | 'not_modified' | 'failed' | 'matched';

interface EntityTag {
  weak: boolean;
  opaque: string;
}

const ENTITY_TAG = /(W\/)?"([^"]*)"/g;

/**
 * RFC 9110 §13.2.2: If-Match (else If-Unmodified-Since) may fail the
 * request with 412; If-None-Match (else If-Modified-Since) may answer 304
 * to a GET or HEAD. Any other method (a POST download) fails with 412
 * where a GET would get 304, and If-Modified-Since counts only for GET
 * and HEAD (§13.1.2–3). A date condition is ignored when the date is
 * invalid or no Last-Modified is known, as §13.1.3–4 allow.
 */
export function evaluatePreconditions(
  headers: IncomingHttpHeaders,
  current: Validators,
  method = 'GET',
): Precondition {
  const safe = method === 'GET' || method === 'HEAD';
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    if (!anyTagMatches(ifMatch, current.etag, strongMatch)) return 'failed';
  } else if (changedSince(current, headers['if-unmodified-since']) === true) {
    return 'failed';
  }

  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (!anyTagMatches(ifNoneMatch, current.etag, weakMatch)) return 'proceed';
    return safe ? 'not_modified' : 'matched';
  }
  const since = headers['if-modified-since'];
  return safe && changedSince(current, since) === false
    ? 'not_modified'
    : 'proceed';
}

/**
 * Whether a `Range` may be served under the request's `If-Range`
 * (RFC 9110 §13.1.5): yes without one; with one, only when it names the
 * current version exactly, by a strong entity tag or by the
 * Last-Modified date. Otherwise the whole file is the answer.
 */
export function rangeStillValid(
  headers: IncomingHttpHeaders,
  current: Validators,
): boolean {
  const field = headers['if-range'];
  if (field === undefined) return true;
  // Several If-Range fields name no one version.
  if (typeof field !== 'string') return false;
  const ifRange = field.trim();
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) {
    const tags = parseEntityTags(ifRange);
    return tags.length === 1 && strongMatch(tags[0], current.etag);
  }
  const date = httpDate(ifRange);
  return (
    date !== undefined &&
    current.lastModified !== undefined &&
    date === wholeSeconds(current.lastModified)
  );
}

/** A date as HTTP sends it: whole seconds, IMF-fixdate. */
export function httpDateOf(date: Date): string {
  return new Date(wholeSeconds(date)).toUTCString();
}

function anyTagMatches(
  field: string,
  etag: string,
  match: (tag: EntityTag, etag: string) => boolean,
): boolean {
  // `*` matches whatever version exists, and a download has one.
  if (field.trim() === '*') return true;
  return parseEntityTags(field).some((tag) => match(tag, etag));
}

function parseEntityTags(field: string): EntityTag[] {
  return [...field.matchAll(ENTITY_TAG)].map((m) => ({
    weak: m[1] !== undefined,
    opaque: m[2],
  }));
}

/** Strong comparison (§8.8.3.2): neither tag weak, same opaque part. */
function strongMatch(tag: EntityTag, etag: string): boolean {
  return !tag.weak && `"${tag.opaque}"` === etag;
}

/** Weak comparison: the opaque parts agree, weak or not. */
function weakMatch(tag: EntityTag, etag: string): boolean {
  return `"${tag.opaque}"` === etag;
}

/**
 * Whether the file changed after the date `field` gives; undefined when
 * that cannot be told (no field, no date in it, no Last-Modified).
 */
function changedSince(
  current: Validators,
  field: string | undefined,
): boolean | undefined {
  const date = field === undefined ? undefined : httpDate(field);
  if (date === undefined || !current.lastModified) return undefined;
  return wholeSeconds(current.lastModified) > date;
}

/** Milliseconds of an HTTP-date; undefined when it is not one. */
function httpDate(field: string): number | undefined {
  const ms = Date.parse(field);
  return Number.isFinite(ms) ? ms : undefined;
}

function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000) * 1000;
}
