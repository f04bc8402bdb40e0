import { PassThrough, type Readable } from 'node:stream';
import { ApiError } from '@ingest/core';
import { NetError, safeRequest } from '@ingest/net';
import { contentEncodingOf } from '../http/content-coding';
import type { SourceFetcher } from './upload-service';

export interface UrlFetcherOptions {
  timeoutMs: number;
  maxRedirects: number;
  maxBytes: number;
  allowPrivate: boolean;
}

// Servers label audio loosely; these are the labels that may hold it.
// Containers of both kinds go by their video label (.webm is video/webm
// and .mka video/x-matroska on common servers); the bytes are checked
// for an audio stream after the fetch, as for any label.
const AUDIO_TYPES = [
  /^audio\//,
  /^video\/(mp4|ogg|quicktime|x-m4a|webm|x-matroska)/,
  /^application\/(octet-stream|ogg|x-flac|binary)/,
  /^binary\/octet-stream/,
];

/** Fetches source URLs through the guarded client (SPEC §5). */
export function urlFetcher(options: UrlFetcherOptions): SourceFetcher {
  return async (url, signal) => {
    let response;
    try {
      response = await safeRequest(url, {
        signal,
        timeoutMs: options.timeoutMs,
        maxRedirects: options.maxRedirects,
        maxBytes: options.maxBytes,
        allowPrivate: options.allowPrivate,
        errorPrefix: 'source could not be fetched',
        // The bytes as stored, never compressed in transit (see below).
        headers: { 'accept-encoding': 'identity' },
      });
    } catch (err) {
      throw toApiError(err);
    }

    if (response.status < 200 || response.status > 299) {
      response.body.destroy();
      throw new ApiError(
        'fetch_failed',
        `source could not be fetched: HTTP ${response.status}`,
        { http_status: response.status },
      );
    }
    const type = String(response.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (type && !AUDIO_TYPES.some((re) => re.test(type))) {
      response.body.destroy();
      throw new ApiError(
        'not_audio',
        `source is not audio: the server sent ${type}`,
      );
    }
    const encoding = contentEncodingOf(response.headers['content-encoding']);
    if (encoding) {
      response.body.destroy();
      throw encodedSourceError(encoding);
    }
    return { body: translateErrors(response.body), url: response.url };
  };
}

/**
 * `fetch_failed`, not `not_audio`: what the server sent may well be
 * audio, only wrapped in a coding this fetch asked it not to use; the
 * fix lies with the server, as with an HTTP error.
 */
function encodedSourceError(encoding: string): ApiError {
  const how = encoding.includes(',') ? 'encoded' : `${encoding}-encoded`;
  return new ApiError(
    'fetch_failed',
    `source could not be fetched: the source was sent ${how} ` +
      `(Content-Encoding: ${encoding}); serve it uncompressed`,
    { content_encoding: encoding },
  );
}

/** Mid-body failures (cap, deadline) surface as API errors too. */
function translateErrors(body: Readable): Readable {
  const out = new PassThrough();
  body.on('error', (err) => out.destroy(toApiError(err)));
  // The consumer's pipeline reports errors; one that comes after the
  // consumer has let go (a client hang-up aborting the fetch) must not
  // take the process down.
  out.on('error', () => {});
  body.pipe(out);
  return out;
}

export function toApiError(err: unknown): Error {
  if (!(err instanceof NetError)) {
    return err instanceof Error ? err : new Error(String(err));
  }
  switch (err.code) {
    case 'bad_url':
      return new ApiError('invalid_parameter', `url: ${err.message}`, {
        parameters: ['url'],
      });
    case 'address_not_allowed':
      return new ApiError('url_not_allowed', err.message);
    case 'too_large':
      return new ApiError('source_too_large', err.message);
    default:
      return new ApiError('fetch_failed', err.message);
  }
}
