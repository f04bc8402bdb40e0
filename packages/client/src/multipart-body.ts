import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { BodyProgress, RequestBody } from './http-transport';
import { UploadFileError } from './upload-file-error';
import { formPairs, type WireParams } from './wire-params';

/** Bytes that can be read once, front to back. */
export type ByteStream =
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/**
 * What `upload` sends as the multipart `file`:
 * - a path: read from disk as it is sent, and read again for a retry;
 * - a Blob (or File): the same, from wherever the Blob keeps its bytes;
 * - a stream: sent once, with chunked encoding, so it is never retried.
 */
export type FileInput =
  | { file: string; filename?: string }
  | { file: Blob; filename: string }
  | { file: ByteStream; filename: string };

/**
 * Makes the multipart body of one upload attempt, as a stream pulled only
 * as fast as the socket drains. One encoder serves all three inputs (a
 * FormData cannot hold a stream of unknown length), and it adds the
 * RFC 5987 `filename*` so non-ASCII names and quotes arrive exactly.
 */
export async function multipartBody(
  params: WireParams,
  input: FileInput,
  progress?: BodyProgress,
): Promise<RequestBody> {
  const encoder = { params, progress };
  if (typeof input.file === 'string') {
    const file = input.file;
    const blob = await openFile(file);
    const name = input.filename ?? path.basename(file);
    return encode(encoder, name, readFile(file, blob), blob.size, false);
  }
  if (input.file instanceof Blob) {
    const name = input.filename ?? 'upload';
    return encode(encoder, name, input.file.stream(), input.file.size, false);
  }
  if (!isByteStream(input.file)) {
    // A Blob or stream given as the source itself, not as its `file`, or
    // `{ path }`: the send failed as "fetch failed: Cannot read properties
    // of undefined", an IngestNetworkError, as if the gateway were away.
    throw new TypeError(
      'upload: the source must be { url }, { file: path }, or ' +
        `{ file: Blob or stream, filename }, not ${shapeOf(input)}`,
    );
  }
  const name = input.filename ?? 'upload';
  return encode(encoder, name, input.file, undefined, true);
}

/** Whether `file` is one of the streams `upload` reads. */
function isByteStream(file: unknown): file is ByteStream {
  return (
    typeof file === 'object' &&
    file !== null &&
    (file instanceof ReadableStream || Symbol.asyncIterator in file)
  );
}

/** What was given as a source, for the TypeError that refuses it. */
function shapeOf(input: unknown): string {
  if (input instanceof Blob) return 'a Blob';
  if (ArrayBuffer.isView(input)) return 'bytes (put them in a Blob)';
  if (typeof input !== 'object' || input === null) return String(input);
  if (isByteStream(input)) return 'a stream';
  const keys = Object.keys(input).slice(0, 5);
  return keys.length ? `an object with ${keys.join(', ')}` : 'an empty object';
}

/** A file as a Blob, with errors that name it (openAsBlob's do not). */
async function openFile(file: string): Promise<Blob> {
  const info = await stat(file).catch((err: unknown) => {
    throw UploadFileError.of(file, err);
  });
  if (info.isDirectory()) {
    throw new UploadFileError(file, 'EISDIR', 'a folder, not a file (EISDIR)');
  }
  if (!info.isFile()) {
    // A FIFO or a device: no size to send, and a FIFO may never end.
    throw new UploadFileError(file, 'EINVAL', 'not a regular file (EINVAL)');
  }
  return openAsBlob(file).catch((err: unknown) => {
    throw UploadFileError.of(file, err);
  });
}

/** The Blob's bytes; a file removed or changed meanwhile is named. */
async function* readFile(file: string, blob: Blob): AsyncGenerator<Uint8Array> {
  const reader = blob.stream().getReader();
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (err) {
      throw new UploadFileError(
        file,
        'EIO',
        'could not be read to the end (changed or removed while sent)',
        err,
      );
    }
    if (chunk.done) return;
    yield chunk.value;
  }
}

function encode(
  { params, progress }: { params: WireParams; progress?: BodyProgress },
  filename: string,
  source: ByteStream,
  size: number | undefined,
  oneShot: boolean,
): RequestBody {
  const boundary = `ingest-${randomBytes(16).toString('hex')}`;
  // Fields go before the file: the gateway reads them as they arrive.
  const fields = formPairs(params)
    .map(
      ([key, value]) =>
        `--${boundary}\r\n` +
        `Content-Disposition: form-data; name="${quote(key)}"\r\n\r\n` +
        `${value}\r\n`,
    )
    .join('');
  const head = Buffer.from(
    fields +
      `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="file"; ` +
      `filename="${quote(filename)}"; filename*=UTF-8''${rfc5987(filename)}\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);

  // Each resume means the consumer took the chunk before: progress.
  async function* parts(): AsyncGenerator<Uint8Array> {
    yield head;
    progress?.moved();
    for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      progress?.moved();
    }
    yield tail;
    progress?.sent();
  }

  const headers: Record<string, string> = {
    'content-type': `multipart/form-data; boundary=${boundary}`,
  };
  if (size !== undefined) {
    headers['content-length'] = String(head.length + size + tail.length);
  }
  return {
    // fetch takes any async iterable with duplex 'half', and pulls from
    // it only as fast as the socket drains.
    body: Readable.from(parts()) as unknown as ReadableStream,
    headers,
    streamed: true,
    oneShot,
  };
}

/**
 * The exact name for parsers that read `filename*` (RFC 5987), busboy
 * among them; others fall back to the quoted `filename`.
 */
function rfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Escapes a name for a quoted header parameter, as browsers do. */
function quote(value: string): string {
  return value
    .replace(/\r/g, '%0D')
    .replace(/\n/g, '%0A')
    .replace(/"/g, '%22');
}
