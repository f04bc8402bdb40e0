import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '@ingest/core';
import { ByteMeter, sweepStale } from '@ingest/storage';
import { sourceTooLarge } from './upload-service';

/** File parts one gateway spools at once, unless told otherwise. */
export const SPOOL_MAX_FILES = 4;

export interface FileSpoolOptions {
  /** Folder of the spool files; made when first needed. */
  dir: string;
  /** Bytes one file part may hold (INGEST_MAX_SOURCE_BYTES). */
  maxBytes: number;
  /** How long one file part may take to arrive, in ms. */
  timeoutMs: number;
  /**
   * File parts held at once; one more is refused with 503 `spool_full`
   * before a byte of it is written. Default SPOOL_MAX_FILES (4).
   */
  maxFiles?: number;
}

/** A file part kept on local disk. */
export interface SpooledFile {
  bytes: number;
  /** Its bytes, from the start. */
  open(): Readable;
  /**
   * Idempotent; call when done with it, whatever happened. Closes what
   * `open` gave that is still open: a call refused before it read the
   * file (a wrong token, a busy slot) leaves its stream unread.
   */
  remove(): Promise<void>;
}

/**
 * Keeps a multipart file part that came before the call's token on local
 * disk, until the rest of the form is read and the call can be
 * authenticated. Its sender is not known yet, so a part is held to the
 * byte cap of a stored source and to a deadline.
 */
export class FileSpool {
  private held = 0;

  constructor(private readonly options: FileSpoolOptions) {}

  /**
   * Spools one file part. Its sender is unknown, so the spool holds at
   * most `maxFiles` parts at once (each to the byte cap): unknown
   * senders on many connections cannot fill the gateway's disk.
   */
  async write(body: Readable): Promise<SpooledFile> {
    const { maxFiles = SPOOL_MAX_FILES } = this.options;
    if (this.held >= maxFiles) {
      throw new ApiError(
        'spool_full',
        `${maxFiles} uploads are already waiting for their token; send ` +
          'the token before the file (or as a header) or try again later',
      );
    }
    this.held++;
    let released = false;
    const release = () => {
      if (!released) this.held--;
      released = true;
    };
    try {
      const spooled = await this.spool(body);
      return {
        ...spooled,
        remove: () => spooled.remove().finally(release),
      };
    } catch (err) {
      release();
      throw err;
    }
  }

  private async spool(body: Readable): Promise<SpooledFile> {
    const { dir, maxBytes, timeoutMs } = this.options;
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, randomUUID());
    const remove = () => rm(file, { force: true });

    const cap = new ByteMeter(maxBytes);
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
    const { bytes } = cap.result();
    const opened: ReadStream[] = [];
    return {
      bytes,
      open: () => {
        const stream = createReadStream(file);
        opened.push(stream);
        return stream;
      },
      remove: async () => {
        await Promise.all(opened.splice(0).map(closeStream));
        await remove();
      },
    };
  }

  /**
   * Removes spool files of a gateway that died mid-request, once nothing
   * touched them for `olderThanMs`. Returns how many went.
   */
  async sweep(olderThanMs: number): Promise<number> {
    return (await sweepStale(this.options.dir, olderThanMs)).length;
  }
}

/**
 * Closes a file stream whether or not it was read: an unread one holds
 * its descriptor for as long as the process runs, even once the file is
 * unlinked (the soak saw one more open descriptor per refused call).
 */
function closeStream(stream: ReadStream): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('close', () => resolve());
    stream.destroy();
  });
}

function tooSlow(timeoutMs: number): ApiError {
  return new ApiError(
    'request_timeout',
    `the file did not arrive within ${Math.round(timeoutMs / 1000)} s`,
  );
}
