import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { ApiError } from '@ingest/core';
import { watchPace, type BodyPace, type PaceWatch } from './body-pace';
import { charsetOf, formPairs, jsonText } from './form-text';
import { refuseInexactMeta } from './json-number-text';
import { addJson, addPair, emptyParams, type Params } from './params';

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

/** Largest multipart field value, as for JSON and form values. */
const FIELD_BYTES = 1 << 20;

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

  const type = mediaType(req.headers['content-type']);
  if (req.method === 'GET' || req.method === 'HEAD') return params;

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
 * The media type of a Content-Type header, lower-cased, without its
 * parameters (`; charset=utf-8`, `; boundary=…`). Types are compared
 * whole: `application/jsonx` is not JSON.
 */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * A refusal of the body as a whole: no one parameter is at fault, so the
 * answer's `parameters` is empty (it is there on every refusal).
 */
function bodyRefused(message: string): ApiError {
  return new ApiError('invalid_parameter', message, { parameters: [] });
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

function readMultipart(
  req: IncomingMessage,
  params: Params,
  options: ReadOptions,
): Promise<void> {
  const { onFile, signal, pace } = options;
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fields: 500, fieldSize: FIELD_BYTES, files: 1, parts: 600 },
        defParamCharset: 'utf8',
      });
    } catch {
      reject(bodyRefused('malformed multipart body'));
      return;
    }

    let failed = false;
    let parsed = false;
    // Outside the file part, held to its own pace (the spool's, or
    // INGEST_FETCH_TIMEOUT into storage), the form keeps a small body's:
    // fields alone would otherwise trickle for INGEST_FETCH_TIMEOUT.
    let watch: PaceWatch | undefined;
    let fileWork: Promise<void> = Promise.resolve();
    let fileStream: Readable | undefined;
    let formEnded!: () => void;
    let formFailed!: (err: unknown) => void;
    const fieldsRead = new Promise<void>((resolve, reject) => {
      formEnded = resolve;
      formFailed = reject;
    });
    // A file handler that does not wait for the fields never looks.
    fieldsRead.catch(() => {});
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      watch?.stop();
      // First, so a file handler waiting for the fields stops waiting.
      formFailed(err);
      signal?.removeEventListener('abort', letGo);
      // A file being received (it may hold the site's upload slot) runs
      // to its end first, so the caller's cleanup sees all it took.
      void fileWork.then(() => {
        req.unpipe(parser);
        req.resume();
        reject(err);
      });
    };
    const watchForm = () => {
      watch?.stop();
      const on = pace && !failed && !parsed;
      watch = on ? watchPace('the request body', pace, fail) : undefined;
    };
    req.on('data', (chunk: Buffer) => watch?.add(chunk.length));
    watchForm();
    // As a client gone mid-body (below), but the call may still answer.
    const letGo = () => {
      fileStream?.destroy(signal?.reason);
      fail(signal?.reason);
    };

    parser.on('field', (name, value, info) => {
      try {
        if (info.valueTruncated || info.nameTruncated) {
          // busboy cuts a field at its cap; a cut value is refused whole.
          throw new ApiError(
            'payload_too_large',
            `multipart field ${name.slice(0, 100)} exceeds ${FIELD_BYTES} bytes`,
          );
        }
        addPair(params, name, value);
      } catch (err) {
        fail(err);
      }
    });
    parser.on('file', (name, stream, info) => {
      // A body that ends inside a file part (its length honest, its last
      // boundary missing) makes busboy destroy the part's stream with
      // "Unexpected end of form" as well as fail the form. Unheard, that
      // error ended the gateway, before any token was looked at; the
      // form's failure answers the call, and a reader of the part still
      // sees its stream fail.
      stream.on('error', () => {});
      if (name !== 'file' || !onFile || failed) {
        stream.resume();
        return;
      }
      const details = { filename: info.filename ?? '', mimeType: info.mimeType };
      watch?.stop();
      watch = undefined;
      stream.once('end', watchForm);
      fileStream = stream;
      fileWork = onFile(stream, details, params, fieldsRead).catch((err) => {
        stream.resume();
        fail(err);
      });
    });
    // busboy drops what is past its limits; a request is refused instead.
    parser.on('fieldsLimit', () =>
      fail(bodyRefused('too many parameters')),
    );
    parser.on('partsLimit', () =>
      fail(bodyRefused('too many multipart parts')),
    );
    parser.on('filesLimit', () =>
      fail(
        new ApiError('invalid_parameter', 'only one file per call', {
          parameters: ['file'],
        }),
      ),
    );
    parser.on('error', () => fail(bodyRefused('malformed multipart body')));
    parser.on('close', () => {
      parsed = true;
      watch?.stop();
      formEnded();
      fileWork.then(() => {
        if (failed) return;
        signal?.removeEventListener('abort', letGo);
        resolve();
      }, fail);
    });
    // A client that goes away mid-body (or a body that stalls past the
    // server's request timeout) never lets busboy finish: end the file
    // so its storage write fails, its slot is freed and nothing stays.
    req.on('close', () => {
      if (req.complete) return;
      const gone = bodyRefused(
        'the connection closed before the request body ended',
      );
      fileStream?.destroy(gone);
      fail(gone);
    });
    if (signal?.aborted) letGo();
    else signal?.addEventListener('abort', letGo, { once: true });
    req.pipe(parser);
  });
}
