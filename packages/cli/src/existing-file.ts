import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

/** What a path `download` would write to holds already. */
export type Existing =
  | { kind: 'none' }
  | { kind: 'file'; bytes: number; sha256: string }
  /** A folder (not a link to one): no rename can replace it. */
  | { kind: 'folder' }
  /** A link, a pipe, a device: nothing to hash or replace blindly. */
  | { kind: 'other' };

/** Looks at `file` without following a link: a rename would replace it. */
export async function existingAt(file: string): Promise<Existing> {
  const info = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!info) return { kind: 'none' };
  if (info.isDirectory()) return { kind: 'folder' };
  if (!info.isFile()) return { kind: 'other' };
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return { kind: 'file', bytes: info.size, sha256: hash.digest('hex') };
}
