import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { ApiError } from '@ingest/core';
import { watchPace } from './body-pace';
import {
  boundaryOf,
  readableContentType,
  SentParts,
  type SentPart,
} from './multipart-parts';
import { FieldTexts } from './multipart-text';
import { addPair, type Params } from './params';
import type { ReadOptions } from './read-params';

/** Largest multipart field value, as for JSON and form values. */
const FIELD_BYTES = 1 << 20;
/**
 * Largest sum of a body's field values, as for a JSON or form body: the
 * 500 fields of 1 MiB that busboy lets through were held in memory, one
 * part of the request read before its token (and before a file), twice.
 */
const FIELDS_BYTES = 1 << 20;

/**
 * A refusal of the body as a whole: no one parameter is at fault, so the
 * answer's `parameters` is empty (it is there on every refusal).
 */
export function bodyRefused(message: string): ApiError {
  return new ApiError('invalid_parameter', message, { parameters: [] });
}

/**
 * The part busboy reports as `name` (a field, or a file when `file`):
 * the next one read beside it, which must be that part.
 */
function sentPart(
  sent: SentParts,
  name: string | undefined,
  file: boolean,
): SentPart {
  const part = sent.next();
  if (!part || part.file !== file || part.name !== name) {
    throw bodyRefused('malformed multipart body');
  }
  return part;
}

/** Reads a multipart body's fields into `params`, its file to `onFile`. */
export function readMultipart(
  req: IncomingMessage,
  params: Params,
  options: ReadOptions,
): Promise<void> {
  const { onFile, signal, pace } = options;
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    const contentType = readableContentType(req.headers['content-type']);
    const boundary = boundaryOf(contentType);
    const noBoundary = () =>
      bodyRefused(
        'malformed multipart body: its Content-Type names no boundary that ' +
          `can be read: ${String(contentType).slice(0, 100)}`,
      );
    if (boundary === undefined) {
      reject(noBoundary());
      return;
    }
    try {
      parser = busboy({
        headers: { ...req.headers, 'content-type': contentType },
        limits: { fields: 500, fieldSize: FIELD_BYTES, files: 1, parts: 600 },
        defParamCharset: 'utf8',
      });
    } catch {
      reject(noBoundary());
      return;
    }
    const sent = new SentParts(boundary, FIELD_BYTES);
    const texts = new FieldTexts((name, value) => addPair(params, name, value));

    let failed = false;
    let fieldBytes = 0;
    // Outside the file part, held to its own pace (the spool's, or
    // INGEST_FETCH_TIMEOUT into storage), the form keeps a small body's,
    // its deadline for all its other parts together: fields alone would
    // otherwise trickle for INGEST_FETCH_TIMEOUT, or for a small body's
    // deadline again after the file.
    const watch = pace && watchPace('the request body', pace, (err) => fail(err));
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
    req.on('data', (chunk: Buffer) => {
      watch?.add(chunk.length);
      // Before busboy sees the chunk: a part is read here first.
      if (failed) return;
      try {
        sent.push(chunk);
      } catch (err) {
        fail(err);
      }
    });
    // As a client gone mid-body (below), but the call may still answer.
    const letGo = () => {
      fileStream?.destroy(signal?.reason);
      fail(signal?.reason);
    };

    parser.on('field', (name, _value, info) => {
      try {
        if (info.valueTruncated || info.nameTruncated) {
          // busboy cuts a field at its cap; a cut value is refused whole.
          throw new ApiError(
            'payload_too_large',
            `multipart field ${String(name).slice(0, 100)} exceeds ${FIELD_BYTES} bytes`,
          );
        }
        const part = sentPart(sent, name, false);
        fieldBytes += part.bytes.length;
        if (fieldBytes > FIELDS_BYTES) {
          throw new ApiError(
            'payload_too_large',
            `the multipart fields together exceed ${FIELDS_BYTES} bytes`,
          );
        }
        texts.take(part);
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
      let filename = info.filename ?? '';
      try {
        const part = sentPart(sent, name, true);
        // The fields before the file, for its handler, and the charset
        // they name for its file name.
        texts.flush();
        if (name === 'file') filename = texts.fileName(part) ?? filename;
      } catch (err) {
        fail(err);
      }
      if (name !== 'file' || !onFile || failed) {
        stream.resume();
        return;
      }
      const details = { filename, mimeType: info.mimeType };
      watch?.pause();
      stream.once('end', () => watch?.resume());
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
      watch?.stop();
      try {
        texts.flush();
      } catch (err) {
        fail(err);
        return;
      }
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
