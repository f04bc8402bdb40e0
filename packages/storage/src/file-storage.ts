import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { constants } from 'node:fs';
import {
  access,
  copyFile,
  mkdir,
  open,
  rename,
  rm,
  stat,
} from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ByteMeter } from './byte-meter';
import { sweepStale } from './stale-temp';
import { checkKey } from './storage-key';
import type {
  ByteRange,
  LocalCopy,
  OpenObject,
  Readiness,
  Storage,
} from './storage';

/** Objects as files under one directory, written via temp + rename. */
export class FileStorage implements Storage {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, '.tmp');
  }

  private pathOf(key: string): string {
    return path.join(this.root, checkKey(key));
  }

  private async tempPath(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return path.join(this.tmpDir, randomUUID());
  }

  async put(
    key: string,
    body: Readable,
    maxBytes = Infinity,
    signal?: AbortSignal,
  ) {
    const target = this.pathOf(key);
    const temp = await this.tempPath();
    const meter = new ByteMeter(maxBytes);
    try {
      await pipeline(body, meter, createWriteStream(temp), { signal });
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

  async open(key: string): Promise<OpenObject | undefined> {
    const file = this.pathOf(key);
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    // The open file keeps this version, whatever is renamed over the key.
    const { size } = await handle.stat().catch(async (err) => {
      await handle.close();
      throw err;
    });
    return {
      size,
      stream: (range) =>
        handle.createReadStream({ ...range, autoClose: true }),
      close: () => handle.close(),
    };
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

  async sweepTemp(olderThanMs: number): Promise<number> {
    return (await sweepStale(this.tmpDir, olderThanMs)).length;
  }

  /** The root is (or can be made) a directory this process may write. */
  async ready(): Promise<Readiness> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.W_OK | constants.X_OK);
      return { ready: true };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return {
        ready: false,
        reason: `storage: ${this.root} is not writable (${code})`,
      };
    }
  }

  async close(): Promise<void> {}
}
