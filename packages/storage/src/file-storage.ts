import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ObjectTooLargeError,
  type ByteRange,
  type LocalCopy,
  type PutResult,
  type Storage,
} from './storage';

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Objects as files under one directory, written via temp + rename. */
export class FileStorage implements Storage {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, '.tmp');
  }

  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error(`unsafe storage key: ${key}`);
    return path.join(this.root, key);
  }

  private async tempPath(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return path.join(this.tmpDir, randomUUID());
  }

  async put(key: string, body: Readable, maxBytes = Infinity) {
    const target = this.pathOf(key);
    const temp = await this.tempPath();
    const meter = new Meter(maxBytes);
    try {
      await pipeline(body, meter, createWriteStream(temp));
      await mkdir(path.dirname(target), { recursive: true });
      await rename(temp, target);
    } finally {
      await rm(temp, { force: true });
    }
    return meter.result();
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await rename(localPath, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // Another file system: copy beside the target, then rename.
      const temp = await this.tempPath();
      try {
        await copyFile(localPath, temp);
        await rename(temp, target);
        await rm(localPath, { force: true });
      } finally {
        await rm(temp, { force: true });
      }
    }
  }

  async localCopy(key: string): Promise<LocalCopy> {
    return { path: this.pathOf(key), release: async () => {} };
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.pathOf(key);
    await stat(file);
    return createReadStream(file, range);
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async close(): Promise<void> {}
}

/** Counts and hashes bytes as they pass, and stops at a limit. */
class Meter extends Transform {
  private bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (err?: Error) => void,
  ) {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return done(new ObjectTooLargeError(this.limit));
    this.hash.update(chunk);
    done(undefined);
    this.push(chunk);
  }

  result(): PutResult {
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}
