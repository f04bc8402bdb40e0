import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ApiError } from '@ingest/core';
import { watchPace, type BodyPace } from './body-pace';
import { contentEncodingOf } from './content-coding';
import { charsetOf, formPairs, jsonText } from './form-text';
import { refuseInexactMeta } from './json-number-text';
import { addJson, addPair, emptyParams, type Params } from './params';
import { bodyRefused, readMultipart } from './read-multipart';

export interface FileInfo {
  filename: string;
  mimeType: string;
}

/**
 * Takes the multipart `file` part. `params` holds the fields read before
 * it and fills on with those after; `fieldsRead` resolves once the whole
 * form is read (and rejects when the request fails), for a handler that
 * needs the fields after the file.
 */
export type FileHandler = (
  file: Readable,
  info: FileInfo,
  params: Params,
  fieldsRead: Promise<void>,
) => Promise<void>;

export interface ReadOptions {
  /** Cap for JSON and urlencoded bodies, in bytes. */
  maxBodyBytes: number;
  /** Given only on routes that take a file. */
  onFile?: FileHandler;
  /** Aborted to let go of a body mid-way (shutdown, its deadline). */
  signal?: AbortSignal;
  /**
   * How a JSON, form or other body must arrive (a multipart one outside
   * its file part); past it, 408 `request_timeout`. None: no limit here.
   */
  pace?: BodyPace;
}

/** Reads the parameters of a request from its query and body. */
export async function readParams(
  req: IncomingMessage,
  options: ReadOptions,
): Promise<Params> {
  const params = emptyParams();
  const url = new URL(req.url ?? '/', 'http://gateway');
  for (const [key, value] of formPairs(url.search.slice(1))) {
    addPair(params, key, value);
  }

  // A GET's body is read as a POST's is (SPEC §1 takes a JSON body
  // whatever the method): ignored, `curl -X GET -d job_id=5 …/publish`
  // published the main job. One without a body ends at once.
  const type = mediaType(req.headers['content-type']);
  refuseEncodedBody(req);
  if (type === 'multipart/form-data') {
    await readMultipart(req, params, options);
    return params;
  }
  const body = await readBody(req, options);
  if (type === 'application/json') {
    // RFC 8259 §8.1 lets a parser ignore one byte order mark; some
    // Windows tools write one before the JSON.
    const json = jsonText(body).replace(/^\uFEFF/, '');
    if (json.length > 0) {
      const parsed = parseJson(json);
      refuseInexactMeta(json, parsed);
      addJson(params, parsed);
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    refuseJsonAsForm(body.toString('utf8'));
    const charset = charsetOf(req.headers['content-type']);
    for (const [key, value] of formPairs(body.toString('latin1'), charset)) {
      addPair(params, key, value);
    }
  } else if (body.toString('utf8').trim() !== '') {
    // Read to the end all the same, so the connection can be reused. A
    // body we cannot read would otherwise be ignored with a success.
    throw new ApiError(
      'unsupported_media_type',
      `a request body of type ${type.slice(0, 100) || '(none given)'} is ` +
        'not read: send application/json, ' +
        'application/x-www-form-urlencoded or multipart/form-data',
    );
  }
  return params;
}

/**
 * A body sent compressed (`Content-Encoding: gzip`) is refused before it
 * is read, as a source fetched so is: read as it came, its bytes were
 * taken for text that is not UTF-8, or for a file that is not audio.
 */
function refuseEncodedBody(req: IncomingMessage): void {
  const encoding = contentEncodingOf(req.headers['content-encoding']);
  const sized = req.headers['content-length'] !== undefined;
  const bodyless = sized
    ? Number(req.headers['content-length']) === 0
    : req.headers['transfer-encoding'] === undefined;
  if (encoding === undefined || bodyless) return;
  throw new ApiError(
    'unsupported_media_type',
    `the request body is sent with Content-Encoding: ${encoding.slice(0, 100)}, ` +
      'which the API does not read: send it uncompressed',
    { content_encoding: encoding.slice(0, 100) },
  );
}

/**
 * The media type of a Content-Type header, lower-cased, without its
 * parameters (`; charset=utf-8`, `; boundary=…`). Types are compared
 * whole: `application/jsonx` is not JSON.
 */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * A JSON object sent as a form: `curl -d '{…}'` labels its body as
 * urlencoded unless told otherwise. Read as a form it was one unknown
 * parameter named after the whole text, so `upload` said `url` was
 * required and a `publish` went on without its `oncomplete`. No form a
 * client builds is a whole JSON object.
 */
function refuseJsonAsForm(body: string): void {
  const text = body.replace(/^\uFEFF/, '').trim();
  if (!text.startsWith('{')) return;
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  } catch {
    return;
  }
  throw bodyRefused(
    'the body is JSON but its Content-Type is ' +
      'application/x-www-form-urlencoded (what curl -d sends unless told ' +
      'otherwise): send it with Content-Type: application/json',
  );
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw bodyRefused('body is not valid JSON');
  }
}

/** Reads a whole non-multipart body, up to `maxBodyBytes`, at `pace`. */
function readBody(req: IncomingMessage, options: ReadOptions): Promise<Buffer> {
  const { maxBodyBytes: limit, pace, signal } = options;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      watch?.add(chunk.length);
      if (size > limit) {
        stop(
          new ApiError('payload_too_large', `request body exceeds ${limit} bytes`),
        );
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => stop();
    const onClose = () =>
      stop(bodyRefused('the connection closed before the request body ended'));
    const onAbort = () => stop(signal?.reason);
    const stop = (err?: unknown) => {
      watch?.stop();
      req.off('data', onData).off('end', onEnd).off('error', stop);
      req.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        resolve(Buffer.concat(chunks));
        return;
      }
      // The rest is read and dropped while the answer goes, at the pace
      // the server holds it to (server-limits.ts).
      req.resume();
      reject(err);
    };

    const watch = pace && watchPace('the request body', pace, stop);
    req.on('data', onData).on('end', onEnd).on('error', stop);
    req.on('close', onClose);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
