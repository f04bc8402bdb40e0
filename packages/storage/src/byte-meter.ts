import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { ObjectTooLargeError, type PutResult } from './storage';

/** Counts and hashes bytes as they pass, and stops at a limit. */
export class ByteMeter extends Transform {
  private bytes = 0;
  private readonly hash = createHash('sha256');
  /** True once more than the limit came through. */
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
      return done(new ObjectTooLargeError(this.limit));
    }
    this.hash.update(chunk);
    // Handing the chunk to `done` (not push-then-done or done-then-push)
    // keeps backpressure: Transform holds the next write while its
    // readable side is full. Calling done first let a fast source pile
    // the whole body up in memory in front of a slower disk.
    done(null, chunk);
  }

  result(): PutResult {
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}
