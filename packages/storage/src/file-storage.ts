import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { constants } from 'node:fs';
import {
  access,
  copyFile,
  link,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  rmdir,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ByteMeter } from './byte-meter';
import { sweepStale } from './stale-temp';
import { StorageUnavailableError } from './storage-errors';
import { checkKey, checkPrefix, isKey } from './storage-key';
import type {
  ByteRange,
  LocalCopy,
  OpenObject,
  Readiness,
  Storage,
  StoredObject,
} from './storage';

/** A file system without hard links (vfat, some network mounts). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** How often a rename into a folder a delete just pruned is tried. */
const MOVE_ATTEMPTS = 5;

/**
 * Write errors of a disk that takes no writes now (full, over quota,
 * read only, refused, failing, or a file where a folder of the store
 * should be): no retry of the upload fixes them, an operator does, so
 * they are outages to wait out (StorageUnavailableError), as for S3.
 */
const DISK_FAULTS = new Set([
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EACCES',
  'EPERM',
  'EIO',
  'ENOTDIR',
  'EEXIST',
]);

/**
 * Objects as files under one directory, written via temp + rename.
 * Folders are there for keys only, as in an object store: the last
 * delete in one removes it (and its parents that became empty).
 */
export class FileStorage implements Storage {
  private readonly tmpDir: string;
  private readonly base: string;

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, '.tmp');
    this.base = path.resolve(root);
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
    const meter = new ByteMeter(maxBytes);
    await this.writing(async () => {
      const temp = await this.tempPath();
      try {
        await pipeline(body, meter, createWriteStream(temp), { signal });
        await this.moveInto(temp, target);
      } finally {
        await rm(temp, { force: true });
      }
    });
    return meter.result();
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const target = this.pathOf(key);
    await this.writing(async () => {
      // Dated now, not when it was made: a file's age is how long it has
      // been stored (the orphan sweep's grace), and a rename keeps it.
      const now = new Date();
      await utimes(localPath, now, now);
      try {
        await this.moveInto(localPath, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        // Another file system: copy beside the target, then rename.
        const temp = await this.tempPath();
        try {
          await copyFile(localPath, temp);
          await this.moveInto(temp, target);
          await rm(localPath, { force: true });
        } finally {
          await rm(temp, { force: true });
        }
      }
    });
  }

  async create(key: string, text: string): Promise<boolean> {
    const target = this.pathOf(key);
    let created = true;
    await this.writing(async () => {
      const temp = await this.tempPath();
      try {
        await writeFile(temp, text);
        await mkdir(path.dirname(target), { recursive: true });
        // A hard link appears whole, and only where no file is.
        await link(temp, target).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') created = false;
          else if (err.code && NO_LINKS.has(err.code)) await this.moveInto(temp, target);
          else throw err;
        });
      } finally {
        await rm(temp, { force: true });
      }
    });
    return created;
  }

  /** Runs a write; a disk fault comes out as a StorageUnavailableError. */
  private async writing(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!code || !DISK_FAULTS.has(code)) throw err;
      throw new StorageUnavailableError(
        `storage: ${this.root} takes no writes (${code})`,
        { cause: err },
      );
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
    const file = this.pathOf(key);
    await rm(file, { force: true });
    await this.pruneEmpty(path.dirname(path.resolve(file)));
  }

  /**
   * Renames a file to `target`, making its folder. A delete of the last
   * key of that folder may remove it between the two steps: then again.
   */
  private async moveInto(from: string, target: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await rename(from, target);
        return;
      } catch (err) {
        const raced =
          (err as NodeJS.ErrnoException).code === 'ENOENT' &&
          attempt < MOVE_ATTEMPTS &&
          (await exists(from));
        if (!raced) throw err;
      }
    }
  }

  /**
   * Removes `dir` and then each parent below the root while they are
   * empty, so a deleted track leaves no `tracks/<id>/` behind. A folder
   * that holds anything (or is already gone) ends the walk.
   */
  private async pruneEmpty(dir: string): Promise<void> {
    while (dir.startsWith(this.base + path.sep)) {
      if (dir === path.resolve(this.tmpDir)) return;
      try {
        await rmdir(dir);
      } catch {
        return;
      }
      dir = path.dirname(dir);
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    yield* this.walk(path.join(this.root, checkPrefix(prefix)), prefix);
  }

  /**
   * The files under `dir`, whose keys begin with `prefix`. Temp files
   * (`.tmp/`) have no key's name, so they are never listed.
   */
  private async *walk(dir: string, prefix: string): AsyncGenerator<StoredObject> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    for (const entry of entries) {
      const key = prefix + entry.name;
      if (!isKey(key)) continue;
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        yield* this.walk(file, `${key}/`);
      } else if (entry.isFile()) {
        // Deleted since the folder was read: not there to list.
        const info = await stat(file).catch(() => undefined);
        if (info) yield { key, bytes: info.size, modifiedAt: info.mtime };
      }
    }
  }

  async sweepTemp(olderThanMs: number): Promise<number> {
    return (await sweepStale(this.tmpDir, olderThanMs)).length;
  }

  /**
   * Ready when a small file can be written where uploads are written:
   * a full disk or a read-only mount passes a permission check (and
   * root passes every one), not a write.
   */
  async ready(): Promise<Readiness> {
    const probe = path.join(this.tmpDir, `ready-${process.pid}`);
    try {
      await mkdir(this.tmpDir, { recursive: true });
      await access(this.root, constants.W_OK | constants.X_OK);
      await writeFile(probe, 'ready\n');
      return { ready: true };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return {
        ready: false,
        reason: `storage: ${this.root} is not writable (${code})`,
      };
    } finally {
      await rm(probe, { force: true }).catch(() => {});
    }
  }

  async close(): Promise<void> {}
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
