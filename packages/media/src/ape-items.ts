import { open, type FileHandle } from 'node:fs/promises';

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
const TAG_BYTES = 32;
/** Blocks of a WavPack file walked to find where its audio ends. */
const MAX_WAVPACK_BLOCKS = 1_000_000;

/**
 * Why the APEv2 tags of `path` have too many items, or null. Looked for
 * where music-metadata looks: at the end of any file (before an ID3v1
 * tag and Lyrics3 block, and at its very end), and after the audio of a
 * WavPack or Monkey's Audio file.
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
      if (tag.readUInt32LE(16) > MAX_APE_ITEMS) return `more than ${MAX_APE_ITEMS} APE tag items`;
    }
    return null;
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
