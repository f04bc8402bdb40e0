import { open, type FileHandle } from 'node:fs/promises';

import { afterLeadingId3 } from './id3-frame-count';
import { readAt } from './pcm-header';

/**
 * A bound on the items of a file's APEv2 tags, checked before
 * music-metadata reads its tags: its time grows with the square of the
 * items (10 000 one-byte items took 1.8 s of the gateway, 40 000 took
 * 35 s, 800 000 in a 9 MB mp3 more than ten minutes). Real tags hold a
 * few dozen items.
 */

export const MAX_APE_ITEMS = 1000;

const PREAMBLE = 'APETAGEX';
const TOO_MANY = `more than ${MAX_APE_ITEMS} APE tag items`;
const TAG_BYTES = 32;
/** Bytes of a file read at a time when it is looked through. */
const SCAN_BYTES = 1 << 20;

/**
 * Why the APEv2 tags of `path` have too many items, or null. Looked for
 * where music-metadata looks: at the end of any file (before an ID3v1
 * tag and Lyrics3 block, and at its very end), at its start (where its
 * WavPack reader, chosen by a `.wv` name, looks when no block is
 * there), and anywhere in a WavPack, Monkey's Audio or Musepack one.
 */
export async function apeItemProblem(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const appended = await beforeAppended(file, size);
    const places = new Set([0, size - TAG_BYTES, appended - TAG_BYTES]);
    for (const at of places) {
      if (at < 0) continue;
      const tag = await readAt(file, at, TAG_BYTES);
      if (tag.length < TAG_BYTES || tag.toString('latin1', 0, 8) !== PREAMBLE) continue;
      if (tag.readUInt32LE(16) > MAX_APE_ITEMS) return TOO_MANY;
    }
    return (await tagAfterAudio(file)) ? scanProblem(file, size) : null;
  } finally {
    await file.close();
  }
}

/** Where an ID3v1 tag, and a Lyrics3 block before it, begin; else the end. */
async function beforeAppended(file: FileHandle, size: number): Promise<number> {
  if (size < 128) return size;
  if ((await readAt(file, size - 128, 3)).toString('latin1') !== 'TAG') return size;
  let end = size - 128;
  if (size >= 143) {
    const lyrics = (await readAt(file, size - 143, 15)).toString('latin1');
    if (lyrics.slice(6) === 'LYRICS200') end -= Number.parseInt(lyrics.slice(0, 6), 10) + 15 || 0;
  }
  return end;
}

/**
 * Whether music-metadata reads a tag where the file's audio ends, which
 * only a walk of its frames would find: WavPack (`wvpk` blocks), Monkey's
 * Audio (`MAC `, where it takes any version's header for a 3.98 one and
 * counts the descriptor's sizes its own way) and, after any ID3v2 tags,
 * Musepack (SV7 `MP+` bit-packed frames, SV8 `MPCK`).
 */
async function tagAfterAudio(file: FileHandle): Promise<boolean> {
  const id = (await readAt(file, 0, 4)).toString('latin1');
  if (id === 'wvpk' || id === 'MAC ') return true;
  const at = await afterLeadingId3(file);
  if (typeof at === 'string') return false;
  const magic = (await readAt(file, at, 4)).toString('latin1');
  return magic === 'MPCK' || magic.startsWith('MP+');
}

/**
 * Any APE tag in the file with too many items, wherever it lies: its
 * frames are not walked, the file is read through a MiB at a time, and
 * what only reads as a tag in its audio leaves its tags unread, nothing
 * more.
 */
async function scanProblem(file: FileHandle, size: number): Promise<string | null> {
  for (let start = 0; start < size; start += SCAN_BYTES) {
    // Each chunk runs a tag's count past its end: one across two is seen.
    const chunk = await readAt(file, start, SCAN_BYTES + 20);
    let at = chunk.indexOf(PREAMBLE, 0, 'latin1');
    while (at >= 0 && at < SCAN_BYTES && at + 20 <= chunk.length) {
      if (chunk.readUInt32LE(at + 16) > MAX_APE_ITEMS) return TOO_MANY;
      at = chunk.indexOf(PREAMBLE, at + 1, 'latin1');
    }
  }
  return null;
}
