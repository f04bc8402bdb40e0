import type { FileHandle } from 'node:fs/promises';

import { readAt } from './pcm-header';

/** Bytes of the file read at a time for a walk of many small parts. */
const WINDOW_BYTES = 1 << 20;

/**
 * A file read through a window: one read per MiB, not one per frame or
 * page of a walk (10 000 reads of 10 bytes took a second).
 */
export class FileWindow {
  private start = 0;
  private bytes: Buffer = Buffer.alloc(0);

  constructor(private readonly file: FileHandle) {}

  /** `length` bytes at `position`, fewer past the file's end. */
  async read(position: number, length: number): Promise<Buffer> {
    const offset = position - this.start;
    if (offset < 0 || offset + length > this.bytes.length) {
      this.bytes = await readAt(this.file, position, Math.max(length, WINDOW_BYTES));
      this.start = position;
      return this.bytes.subarray(0, length);
    }
    return this.bytes.subarray(offset, offset + length);
  }
}
