import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/** What a path `download` would write to holds already. */
export type Existing =
  | { kind: 'none' }
  | { kind: 'file'; bytes: number; sha256: string }
  /**
   * No regular file: a folder (no rename can replace it), or a link, a
   * pipe, a socket or a device (the user's on purpose: never replaced).
   * `what` names it for a message: `a symbolic link`.
   */
  | { kind: 'not-file'; what: string };

/** Looks at `file` without following a link: a rename would replace it. */
export async function existingAt(file: string): Promise<Existing> {
  const info = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!info) return { kind: 'none' };
  if (!info.isFile()) return { kind: 'not-file', what: kindOf(info) };
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return { kind: 'file', bytes: info.size, sha256: hash.digest('hex') };
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  return 'a device';
}
