import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '@ingest/core';
import { sweepStale } from '@ingest/storage';
import { sourceTooLarge } from './upload-service';

export interface FileSpoolOptions {
  /** Folder of the spool files; made when first needed. */
  dir: string;
  /** Bytes one file part may hold (INGEST_MAX_SOURCE_BYTES). */
  maxBytes: number;
  /** How long one file part may take to arrive, in ms. */
  timeoutMs: number;
}

/** A file part kept on local disk. */
export interface SpooledFile {
  bytes: number;
  /** Its bytes, from the start. */
  open(): Readable;
  /** Idempotent; call when done with it, whatever happened. */
  remove(): Promise<void>;
}

/**
 * Keeps a multipart file part that came before the call's token on local
 * disk, until the rest of the form is read and the call can be
 * authenticated. Its sender is not known yet, so a part is held to the
 * byte cap of a stored source and to a deadline.
 */
export class FileSpool {
  constructor(private readonly options: FileSpoolOptions) {}

  // TODO(a gateway's disk filled by spools): cap the spools held at once;
  // today unknown senders may hold maxBytes each, on as many connections.
  async write(body: Readable): Promise<SpooledFile> {
    const { dir, maxBytes, timeoutMs } = this.options;
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, randomUUID());
    const remove = () => rm(file, { force: true });

    const cap = new ByteCap(maxBytes);
    const late = setTimeout(() => body.destroy(tooSlow(timeoutMs)), timeoutMs);
    try {
      await pipeline(body, cap, createWriteStream(file, { flags: 'wx' }));
    } catch (err) {
      await remove();
      // The same refusal as a part streamed into storage gets.
      throw cap.exceeded ? sourceTooLarge(maxBytes) : err;
    } finally {
      clearTimeout(late);
    }
    return { bytes: cap.bytes, open: () => createReadStream(file), remove };
  }

  /**
   * Removes spool files of a gateway that died mid-request, once nothing
   * touched them for `olderThanMs`. Returns how many went.
   */
  async sweep(olderThanMs: number): Promise<number> {
    return (await sweepStale(this.options.dir, olderThanMs)).length;
  }
}

function tooSlow(timeoutMs: number): ApiError {
  return new ApiError(
    'request_timeout',
    `the file did not arrive within ${Math.round(timeoutMs / 1000)} s`,
  );
}

/** Counts the bytes that pass and stops past a limit. */
class ByteCap extends Transform {
  bytes = 0;
  exceeded = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (err?: Error | null, chunk?: Buffer) => void,
  ) {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      this.exceeded = true;
      return done(new Error(`more than ${this.limit} bytes`));
    }
    // Handing the chunk to `done` keeps backpressure (see ByteMeter).
    done(null, chunk);
  }
}
