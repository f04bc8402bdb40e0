import { open, type FileHandle } from 'node:fs/promises';

import { readAt } from './pcm-header';

/**
 * A bound on an MP4 file's atom tree, checked before music-metadata
 * reads its tags. Its MP4 parser goes into container atoms by recursion
 * and keeps every atom it reads, however many: 8 MB of `moov` atoms
 * nested a million deep took 1.6 GB and 14 s of the gateway, 8 MB of
 * empty sibling atoms 250 MB and 10 s, and an upload of a few hundred
 * MB would take the process down with every upload in it. ffprobe stops
 * at its own depth limit; tags are read whether or not it could. Real
 * files hold a few hundred atoms, nested less than ten deep.
 */

export const MAX_ATOM_DEPTH = 32;
export const MAX_ATOMS = 100_000;

// The atoms whose children music-metadata reads.
const CONTAINERS = new Set([
  'moov', 'udta', 'mdia', 'minf', 'stbl', 'ilst', 'tref', 'moof',
  'trak', 'traf', 'meta', '<id>',
]);

// What an MP4 or QuickTime file starts with.
const FIRST_ATOMS = new Set(['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip']);

/**
 * Why the MP4 at `path` is too deep or too many atoms to read tags from,
 * or null: for a file that is no MP4, or whose tree stays in bounds or
 * breaks off (music-metadata then stops there by itself).
 */
export async function mp4AtomProblem(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const first = (await readAt(file, 0, 8)).toString('latin1', 4, 8);
    if (!FIRST_ATOMS.has(first)) return null;

    // The end of each container the walk is in, the file's first.
    const ends = [size];
    let at = 0;
    let atoms = 0;
    while (ends.length > 0) {
      const end = ends[ends.length - 1];
      if (at + 8 > end) {
        at = end;
        ends.pop();
        continue;
      }
      const header = await readAt(file, at, 16);
      const name = header.toString('latin1', 4, 8);
      let length = header.readUInt32BE(0);
      let headerLength = 8;
      if (length === 1 && header.length === 16) {
        length = Number(header.readBigUInt64BE(8));
        headerLength = 16;
      } else if (length === 0) {
        length = end - at;
      }
      if (length < headerLength || at + length > end) return null;

      if (++atoms > MAX_ATOMS) {
        return `more than ${MAX_ATOMS} MP4 atoms`;
      }
      if (!CONTAINERS.has(name)) {
        at += length;
        continue;
      }
      ends.push(at + length);
      if (ends.length - 1 > MAX_ATOM_DEPTH) {
        return `MP4 atoms nested more than ${MAX_ATOM_DEPTH} deep`;
      }
      at += headerLength + (name === 'meta' ? await metaPadding(file, at) : 0);
    }
    return null;
  } finally {
    await file.close();
  }
}

/** `meta` has 4 bytes of version and flags first, but for QuickTime's. */
async function metaPadding(file: FileHandle, at: number): Promise<number> {
  const child = await readAt(file, at + 8, 8);
  return child.toString('latin1', 4, 8) === 'hdlr' ? 0 : 4;
}
