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
/** Blocks of a WavPack file walked to find where its audio ends. */
const MAX_WAVPACK_BLOCKS = 1_000_000;
/** Bytes of a Musepack file read at a time when it is looked through. */
const SCAN_BYTES = 1 << 20;

/**
 * Why the APEv2 tags of `path` have too many items, or null. Looked for
 * where music-metadata looks: at the end of any file (before an ID3v1
 * tag and Lyrics3 block, and at its very end), after the audio of a
 * WavPack or Monkey's Audio file, and anywhere in a Musepack one.
 */
export async function apeItemProblem(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const places = new Set([size - TAG_BYTES, (await beforeAppended(file, size)) - TAG_BYTES]);
    const after = await afterAudio(file);
    if (after !== null) places.add(after);
    for (const at of places) {
      if (at < 0) continue;
      const tag = await readAt(file, at, TAG_BYTES);
      if (tag.length < TAG_BYTES || tag.toString('latin1', 0, 8) !== PREAMBLE) continue;
      if (tag.readUInt32LE(16) > MAX_APE_ITEMS) return TOO_MANY;
    }
    return (await isMusepack(file)) ? musepackProblem(file, size) : null;
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

/** Where the audio of a WavPack or Monkey's Audio file ends, or null. */
async function afterAudio(file: FileHandle): Promise<number | null> {
  const head = await readAt(file, 0, 52);
  const id = head.toString('latin1', 0, 4);
  if (id === 'wvpk') {
    let at = 0;
    for (let blocks = 0; blocks < MAX_WAVPACK_BLOCKS; blocks++) {
      const block = await readAt(file, at, 8);
      if (block.length < 8 || block.toString('latin1', 0, 4) !== 'wvpk') return at;
      at += 8 + block.readUInt32LE(4);
    }
    return at;
  }
  if (id === 'MAC ' && head.length === 52) {
    const [descriptor, header, seekTable, headerData, frames, framesHigh, ending] = [
      8, 12, 16, 20, 24, 28, 32,
    ].map((at) => head.readUInt32LE(at));
    return (
      descriptor + header + seekTable + headerData + frames + framesHigh * 2 ** 32 + ending
    );
  }
  return null;
}

/**
 * Whether the stream, after any ID3v2 tags, is Musepack (SV7 `MP+`, SV8
 * `MPCK`): music-metadata reads a tag where its audio ends, which only
 * a walk of its frames (bit-packed in SV7) finds.
 */
async function isMusepack(file: FileHandle): Promise<boolean> {
  const at = await afterLeadingId3(file);
  if (typeof at === 'string') return false;
  const magic = (await readAt(file, at, 4)).toString('latin1');
  return magic === 'MPCK' || magic.startsWith('MP+');
}

/**
 * Any APE tag in a Musepack file with too many items, wherever it lies:
 * its frames are not walked, the file is read through a MiB at a time
 * (a real one is a few MB), and what only reads as a tag in its audio
 * leaves its tags unread, nothing more.
 */
async function musepackProblem(file: FileHandle, size: number): Promise<string | null> {
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
