import { pipeline } from 'node:stream/promises';
import { Router, type Response } from 'express';
import {
  ApiError,
  contentTypeOf,
  isOutputFormat,
  type OutputFormat,
} from '@ingest/core';
import type { StateStore, UpdateStore } from '@ingest/state';
import type { ByteRange, Storage } from '@ingest/storage';
import { API_ENDPOINTS } from '../api/endpoints';
import { endpoint, type EndpointDeps } from '../http/endpoint';
import { requireId, text } from '../http/params';
import type { TrackIndexing } from '../tracks/track-indexing';
import { presentTrack, presentUpdate } from './presenters';
import { searchEndpoint } from './search-endpoint';
import { trackDeleteEndpoint } from './track-delete-endpoint';

export interface TrackRouteDeps extends EndpointDeps {
  store: StateStore;
  /** A track's latest updates, shown by getById. */
  updates: UpdateStore;
  storage: Storage;
  publicUrl: string;
  indexing: TrackIndexing;
  /**
   * Set: downloads answer 302 to a storage URL signed for this many
   * seconds, where the storage can sign one (INGEST_DOWNLOAD_MODE).
   */
  downloadRedirectTtlSeconds?: number;
}

/** `/api/tracks/*`: published tracks and their files. */
export function trackRoutes(deps: TrackRouteDeps): Router {
  const router = Router();

  async function trackOf(siteId: number, trackId: number) {
    const track = await deps.store.getTrack(siteId, trackId);
    if (!track) throw new ApiError('not_found', `track ${trackId} not found`);
    return track;
  }

  router.all(
    '/getById',
    endpoint(deps, async ({ site, params }) => {
      const track = await trackOf(site.id, requireId(params, 'track_id'));
      const updates = await deps.updates.ofTrack(track.id);
      return {
        track: {
          ...presentTrack(track, deps.publicUrl),
          updates: updates.map(presentUpdate),
        },
      };
    }, { schema: API_ENDPOINTS.getById.params }),
  );

  router.all('/search', searchEndpoint(deps));
  router.all('/delete', trackDeleteEndpoint(deps));

  router.all(
    '/download',
    endpoint(deps, async ({ site, params, req, res, log }) => {
      const track = await trackOf(site.id, requireId(params, 'track_id'));
      const format = (text(params, 'format') ?? 'mp3').toLowerCase();
      if (!isOutputFormat(format)) {
        throw new ApiError('invalid_format', `unknown format: ${format}`);
      }
      const rendition = track.renditions[format];
      if (!rendition) {
        throw new ApiError(
          'rendition_missing',
          `track ${track.id} has no ${format}`,
        );
      }

      const ttl = deps.downloadRedirectTtlSeconds;
      if (ttl && deps.storage.presignedUrl) {
        const url = await deps.storage.presignedUrl(rendition.storageKey, ttl, {
          contentType: contentTypeOf(format),
          contentDisposition: attachment(`${track.id}.${format}`),
        });
        res.setHeader('Cache-Control', 'no-store');
        res.redirect(302, url);
        return undefined;
      }

      // Size and bytes from one open file, whatever happens to the key.
      let file = await deps.storage.open(rendition.storageKey);
      if (!file) {
        // A track update may have replaced the file since the record was
        // read: read the record once more.
        const fresh = (await trackOf(site.id, track.id)).renditions[format];
        file = fresh && (await deps.storage.open(fresh.storageKey));
      }
      if (!file) {
        throw new ApiError('rendition_missing', 'the file is not stored');
      }
      try {
        const { size } = file;
        const range = parseRange(req.headers.range, size);
        if (range === 'unsatisfiable') {
          res.status(416).setHeader('Content-Range', `bytes */${size}`);
          res.end();
          return undefined;
        }

        setDownloadHeaders(res, format, `${track.id}.${format}`);
        if (range) {
          res.status(206);
          res.setHeader(
            'Content-Range',
            `bytes ${range.start}-${range.end}/${size}`,
          );
          res.setHeader('Content-Length', range.end - range.start + 1);
        } else {
          res.setHeader('Content-Length', size);
        }
        if (req.method === 'HEAD') {
          res.end();
          return undefined;
        }
        await pipeline(file.stream(range), res);
      } catch (err) {
        // A client that hangs up mid-download is no server failure.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
        log.debug({ trackId: track.id, format }, 'download cut short');
      } finally {
        await file.close();
      }
      return undefined;
    }, { schema: API_ENDPOINTS.download.params }),
  );

  return router;
}

function setDownloadHeaders(
  res: Response,
  format: OutputFormat,
  name: string,
) {
  res.setHeader('Content-Type', contentTypeOf(format));
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Disposition', attachment(name));
}

function attachment(name: string): string {
  return `attachment; filename="${name}"`;
}

/** One `bytes=` range of a `Range` header; several are not supported. */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | undefined | 'unsatisfiable' {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
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
