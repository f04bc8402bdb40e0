import { open, type FileHandle } from 'node:fs/promises';

import { afterLeadingId3 } from './id3-frame-count';
import { readAt } from './pcm-header';

/**
 * A bound on a FLAC file's metadata blocks, checked before music-metadata
 * reads its tags: it reads every block, and 4 MB of a million empty
 * blocks took 10 s of the gateway's CPU at upload (a 2 GB source, hours).
 * Real files hold a handful (stream info, seek table, comments, a few
 * pictures, padding).
 */

export const MAX_FLAC_BLOCKS = 1000;

/**
 * And on its Vorbis comments: one 15 MB block of three million one-byte
 * comments took music-metadata past 3.6 GB and two minutes. Real files
 * hold a few dozen.
 */
export const MAX_COMMENTS = 10_000;

const VORBIS_COMMENT = 4;

/** The count a Vorbis comment block at `at` declares, after its vendor. */
export async function commentCount(file: FileHandle, at: number): Promise<number> {
  const vendor = await readAt(file, at, 4);
  if (vendor.length < 4) return 0;
  const count = await readAt(file, at + 4 + vendor.readUInt32LE(0), 4);
  return count.length < 4 ? 0 : count.readUInt32LE(0);
}

/**
 * Why the FLAC at `path` has too many blocks or comments to read tags
 * from, or null.
 */
export async function flacBlockProblem(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    // ID3v2 tags before the stream, as some taggers write them: every
    // one is skipped, as music-metadata skips them.
    let at = await afterLeadingId3(file);
    if (typeof at === 'string') return at;
    if ((await readAt(file, at, 4)).toString('latin1') !== 'fLaC') return null;
    at += 4;
    for (let blocks = 1; at + 4 <= size; blocks++) {
      if (blocks > MAX_FLAC_BLOCKS) {
        return `more than ${MAX_FLAC_BLOCKS} FLAC metadata blocks`;
      }
      const header = await readAt(file, at, 4);
      if (header.length < 4) return null;
      if ((header[0] & 0x7f) === VORBIS_COMMENT) {
        const comments = await commentCount(file, at + 4);
        if (comments > MAX_COMMENTS) return `more than ${MAX_COMMENTS} Vorbis comments`;
      }
      if (header[0] & 0x80) return null;
      at += 4 + header.readUIntBE(1, 3);
    }
    return null;
  } finally {
    await file.close();
  }
}
