import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import {
  ApiError,
  contentTypeOf,
  isOutputFormat,
  OUTPUT_FORMATS,
  type OutputFormat,
  type Rendition,
  type Track,
} from '@ingest/core';
import type { StateStore } from '@ingest/state';
import {
  ObjectGoneError,
  type ByteRange,
  type OpenObject,
  type Storage,
} from '@ingest/storage';
import { API_ENDPOINTS } from '../api/endpoints';
import { echoText } from '../api/param-schemas';
import {
  evaluatePreconditions,
  httpDateOf,
  rangeStillValid,
  type Validators,
} from '../http/conditional-request';
import { endpoint, type EndpointDeps } from '../http/endpoint';
import { requireId, text } from '../http/params';
import { contentDispositionOf } from './download-name';

export interface DownloadDeps extends EndpointDeps {
  store: StateStore;
  storage: Storage;
  /**
   * Set: downloads answer 302 to a storage URL signed for this many
   * seconds, where the storage can sign one (INGEST_DOWNLOAD_MODE).
   */
  downloadRedirectTtlSeconds?: number;
}

/**
 * `/api/tracks/download`: the file of one rendition, streamed with ranges
 * and validators (ETag = the rendition's sha256), or a 302 to a signed
 * storage URL, whose store then answers ranges and conditions itself.
 */
export function downloadEndpoint(deps: DownloadDeps) {
  const trackOf = async (siteId: number, trackId: number) => {
    const track = await deps.store.getTrack(siteId, trackId);
    if (!track) throw new ApiError('not_found', `track ${trackId} not found`);
    return track;
  };

  return endpoint(deps, async ({ site, params, req, res, log }) => {
    const track = await trackOf(site.id, requireId(params, 'track_id'));
    const format = (text(params, 'format') ?? 'mp3').toLowerCase();
    if (!isOutputFormat(format)) {
      throw new ApiError(
        'invalid_format',
        `unknown format: ${echoText([format])}`,
      );
    }
    const rendition = track.renditions[format];
    if (!rendition) throw renditionMissing(track, format);

    const disposition = contentDispositionOf(track, format);
    const ttl = deps.downloadRedirectTtlSeconds;
    if (ttl && deps.storage.presignedUrl) {
      // No validators here: they would describe this 302, not the file.
      // Each version of a file has a key of its own, so a signed URL
      // always serves one version; the store answers ranges and
      // conditions with validators of its own.
      const url = await deps.storage.presignedUrl(rendition.storageKey, ttl, {
        contentType: contentTypeOf(format),
        contentDisposition: disposition,
      });
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(302, url);
      return undefined;
    }

    const reread = () => trackOf(site.id, track.id);
    for (let attempt = 1; ; attempt++) {
      const current = attempt === 1 ? track : await reread();
      const opened = await openRendition(deps.storage, current, format, reread);
      try {
        await sendFile(req, res, opened, disposition);
        return undefined;
      } catch (err) {
        // The file went between its open and its first bytes (an update
        // replaced it, on a store read in two requests): nothing is sent
        // yet, so the track's file as it is now is answered instead.
        const again = err instanceof ObjectGoneError && attempt < OPENS;
        if (again && !res.headersSent) continue;
        // A client that hangs up mid-download is no server failure.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
        log.debug({ trackId: track.id, format }, 'download cut short');
        return undefined;
      } finally {
        await opened.file.close();
      }
    }
  }, { schema: API_ENDPOINTS.download.params, readOnly: true });
}

/** A format the track lacks, naming those it has (also as `formats`). */
function renditionMissing(track: Track, format: OutputFormat): ApiError {
  const formats = OUTPUT_FORMATS.filter((f) => track.renditions[f]);
  const has = formats.length > 0 ? formats.join(', ') : 'no rendition';
  return new ApiError(
    'rendition_missing',
    `track ${track.id} has no ${format}; it has ${has}`,
    { formats },
  );
}

/** How often a download opens its file when it goes before it is read. */
const OPENS = 3;

interface OpenedRendition {
  rendition: Rendition;
  file: OpenObject;
}

/**
 * Size and bytes from one open file, whatever happens to the key, and
 * the record of that very file, whose sha256 and time are its validators.
 */
async function openRendition(
  storage: Storage,
  track: Track,
  format: OutputFormat,
  reread: () => Promise<Track>,
): Promise<OpenedRendition> {
  let rendition = track.renditions[format];
  let file = rendition && (await storage.open(rendition.storageKey));
  if (!file) {
    // A track update may have replaced the file since the record was
    // read: read the record once more.
    rendition = (await reread()).renditions[format];
    file = rendition && (await storage.open(rendition.storageKey));
  }
  if (!rendition || !file) {
    throw new ApiError('rendition_missing', 'the file is not stored');
  }
  return { rendition, file };
}

/**
 * Answers 200, 206, 304, 412 or 416 for one opened file. The first
 * bytes are read before any header is set: an ObjectGoneError then
 * leaves the response untouched for another try.
 */
async function sendFile(
  req: Request,
  res: Response,
  { rendition, file }: OpenedRendition,
  disposition: string,
) {
  const validators = validatorsOf(rendition);
  const precondition = evaluatePreconditions(
    req.headers,
    validators,
    req.method,
  );
  if (precondition !== 'proceed') setValidatorHeaders(res, validators);
  if (precondition === 'failed') throw new ApiError('precondition_failed');
  if (precondition === 'matched') {
    throw new ApiError(
      'precondition_failed',
      'the file is still the version If-None-Match names; a POST ' +
        'download is not answered 304 (use GET or HEAD for that)',
    );
  }
  if (precondition === 'not_modified') {
    res.status(304).end();
    return;
  }

  const { size } = file;
  // A stale If-Range means the client holds another version: it gets
  // this one whole rather than a piece to join onto the wrong bytes.
  const range = rangeStillValid(req.headers, validators)
    ? parseRange(req.headers.range, size)
    : undefined;
  if (range === 'unsatisfiable') {
    setValidatorHeaders(res, validators);
    res.setHeader('Content-Range', `bytes */${size}`);
    throw new ApiError(
      'range_not_satisfiable',
      `the range lies outside the file of ${size} bytes`,
    );
  }

  const body =
    req.method === 'HEAD' ? undefined : await started(file.stream(range));
  setValidatorHeaders(res, validators);
  setDownloadHeaders(res, rendition.format, disposition);
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    res.setHeader('Content-Length', range.end - range.start + 1);
  } else {
    res.setHeader('Content-Length', size);
  }
  if (!body) {
    res.end();
    return;
  }
  await pipeline(body, res);
}

/**
 * The stream once its first bytes (or its end) can be read; its error
 * when it fails first, e.g. the store no longer has the object.
 */
function started(stream: Readable): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      stream.off('readable', settle);
      stream.off('error', settle);
      if (err) reject(err);
      else resolve(stream);
    };
    stream.on('readable', settle);
    stream.on('error', settle);
  });
}

/**
 * ETag: the rendition's sha256, a strong validator by nature. Last-
 * Modified: when this version was stored, if recorded and not ahead of
 * this clock (a version stored within a second of the last is dated a
 * second on, see `nextStoredAt`).
 */
function validatorsOf(
  rendition: Rendition,
  now: Date = new Date(),
): Validators {
  const etag = `"${rendition.sha256}"`;
  const stored = rendition.storedAt ? new Date(rendition.storedAt) : undefined;
  const known = stored && stored.getTime() <= now.getTime();
  return known ? { etag, lastModified: stored } : { etag };
}

function setValidatorHeaders(res: Response, validators: Validators) {
  res.setHeader('ETag', validators.etag);
  if (validators.lastModified) {
    res.setHeader('Last-Modified', httpDateOf(validators.lastModified));
  }
  // A cache may keep the file but must ask each time (a 304 is cheap):
  // an update replaces it under the same URL. Files of one site are not
  // for shared caches.
  res.setHeader('Cache-Control', 'private, no-cache');
}

function setDownloadHeaders(
  res: Response,
  format: OutputFormat,
  disposition: string,
) {
  res.setHeader('Content-Type', contentTypeOf(format));
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Disposition', disposition);
}

/**
 * One `bytes=` range of a `Range` header; several are not supported.
 * The unit in any case (RFC 9110 §14.1); empty list elements, as in
 * `bytes=0-99,`, are skipped (§5.6.1.2).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | undefined | 'unsatisfiable' {
  if (!header) return undefined;
  const [unit, set] = header.trim().split(/=(.*)/s);
  if (unit.toLowerCase() !== 'bytes' || set === undefined) return undefined;
  const specs = set.split(',').map((spec) => spec.trim()).filter(Boolean);
  if (specs.length !== 1) return undefined;
  const match = /^(\d*)-(\d*)$/.exec(specs[0]);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;

  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(match[1]);
    // A last position before the first makes the range invalid, and an
    // invalid Range header is ignored (RFC 9110 §14.2).
    if (match[2] !== '' && Number(match[2]) < start) return undefined;
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
