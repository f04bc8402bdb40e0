import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '@ingest/core';
import { ByteMeter, sweepStale } from '@ingest/storage';
import {
  PACE_MIN_BYTES,
  PACE_WINDOW_MS,
  watchPace,
} from '../http/body-pace';
import { sourceTooLarge } from './source-too-large';

/** File parts one gateway spools at once, unless told otherwise. */
export const SPOOL_MAX_FILES = 4;
/** Of those, the parts one client address may hold at once. */
export const SPOOL_MAX_PER_ADDRESS = 2;

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
  /** Of those, parts one client address may hold; SPOOL_MAX_PER_ADDRESS. */
  maxPerAddress?: number;
  /**
   * A part must bring `minBytes` in every `windowMs`, or it is cut with
   * 408: a sender that stalls or trickles frees its place long before
   * INGEST_FETCH_TIMEOUT. Default PACE_MIN_BYTES in PACE_WINDOW_MS.
   */
  windowMs?: number;
  minBytes?: number;
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
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly options: FileSpoolOptions) {}

  /**
   * Spools one file part, sent from `address` (the peer's IP address).
   * Its sender is unknown, so the spool holds at most `maxFiles` parts at
   * once (each to the byte cap), `maxPerAddress` of them from one
   * address: unknown senders on many connections cannot fill the
   * gateway's disk, nor one sender every place.
   */
  async write(body: Readable, address = ''): Promise<SpooledFile> {
    const {
      maxFiles = SPOOL_MAX_FILES,
      maxPerAddress = SPOOL_MAX_PER_ADDRESS,
    } = this.options;
    const from = addressGroup(address);
    const ofAddress = this.byAddress.get(from) ?? 0;
    if (this.held >= maxFiles || ofAddress >= maxPerAddress) {
      const mine = this.held < maxFiles;
      throw new ApiError(
        'spool_full',
        `${mine ? maxPerAddress : maxFiles} uploads ` +
          `${mine ? 'from your address ' : ''}are already waiting for ` +
          'their token; send the token before the file (or as a header) ' +
          'or try again later',
      );
    }
    this.held++;
    this.byAddress.set(from, ofAddress + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.held--;
      const left = (this.byAddress.get(from) ?? 1) - 1;
      if (left > 0) this.byAddress.set(from, left);
      else this.byAddress.delete(from);
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
    const {
      dir,
      maxBytes,
      timeoutMs,
      windowMs = PACE_WINDOW_MS,
      minBytes = PACE_MIN_BYTES,
    } = this.options;
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, randomUUID());
    const remove = () => rm(file, { force: true });

    const cap = new ByteMeter(maxBytes);
    const pace = watchPace('the file', { timeoutMs, windowMs, minBytes }, (err) =>
      body.destroy(err),
    );
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        pace.add(chunk.length);
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        body,
        counter,
        cap,
        createWriteStream(file, { flags: 'wx' }),
      );
    } catch (err) {
      await remove();
      // The same refusal as a part streamed into storage gets.
      throw cap.exceeded ? sourceTooLarge(maxBytes) : err;
    } finally {
      pace.stop();
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

/**
 * The client a peer address stands for: an IPv4 address (an IPv4-mapped
 * IPv6 one as IPv4), or the /64 of an IPv6 one, as one host holds a
 * whole /64.
 */
export function addressGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.split('%')[0].toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const zeros = Array(Math.max(0, 8 - left.length - right.length)).fill('0');
  const groups = [...left, ...zeros, ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
