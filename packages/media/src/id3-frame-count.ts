import { open, type FileHandle } from 'node:fs/promises';

import { FileWindow } from './file-window';
import { readAt } from './pcm-header';

/**
 * A bound on the frames of a file's ID3v2 tags, checked before
 * music-metadata reads its tags: it keeps every frame, and a 9.6 MB tag
 * of 800 000 empty TXXX frames took 250 MB and 2.5 s of the gateway; the
 * 256 MB an ID3v2 tag may declare would take it down. Real tags hold a
 * few dozen frames (a podcast's chapters a few hundred). The bound is on
 * all the tags it reads together: every tag that follows another at the
 * start of a file, each `ID3 ` chunk of a WAV, AIFF or DSDIFF, a DSF's
 * tag; 90 tags of 9 000 frames each took it 8 s and 270 MB.
 */

export const MAX_ID3_FRAMES = 10_000;

/**
 * A bound on the empty frames (padding) music-metadata reads: it takes
 * every 10 zero bytes of a tag's padding for a frame of its own and
 * keeps two warnings of each (9.6 MB of padding took 330 MB and 2 s, a
 * tag may declare 256 MB). 100 000 is 1 MB of padding, far more than a
 * tagger leaves.
 */
export const MAX_ID3_PADDING_FRAMES = 100_000;

/** Tags one after another at a file's start: real files hold one or two. */
export const MAX_STACKED_ID3_TAGS = 64;

/** Chunks of a WAV, AIFF or DSDIFF looked through for ID3 chunks. */
const MAX_CHUNKS = 10_000;

/** Why the ID3v2 tags of `path` have too many frames, or null. */
export async function id3FrameProblem(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    const places = await id3TagPlaces(file);
    if (typeof places === 'string') return places;
    const count = { frames: 0, padding: 0 };
    const window = new FileWindow(file);
    for (const at of places) {
      await countFrames(window, at, count);
      if (count.frames > MAX_ID3_FRAMES) return `more than ${MAX_ID3_FRAMES} ID3 frames`;
      if (count.padding > MAX_ID3_PADDING_FRAMES) {
        return `more than ${MAX_ID3_PADDING_FRAMES} empty ID3 frames (padding)`;
      }
    }
    return null;
  } finally {
    await file.close();
  }
}

/**
 * Where the ID3v2 tags at the start of a file end, one after another as
 * music-metadata reads them (an mp3's, a FLAC's before its `fLaC`): 0
 * without one; a reason when there are more than any real file has.
 */
export async function afterLeadingId3(file: FileHandle): Promise<number | string> {
  let at = 0;
  for (let tags = 0; ; tags++) {
    const header = await readAt(file, at, 10);
    if (header.length < 10 || header.toString('latin1', 0, 3) !== 'ID3') return at;
    if (tags === MAX_STACKED_ID3_TAGS) {
      return `more than ${MAX_STACKED_ID3_TAGS} ID3 tags`;
    }
    at += 10 + syncsafe(header.subarray(6, 10));
  }
}

/** The offsets of the ID3v2 tags music-metadata reads in the file. */
async function id3TagPlaces(file: FileHandle): Promise<number[] | string> {
  const head = await readAt(file, 0, 28);
  const id = head.toString('latin1', 0, 4);
  const form = head.toString('latin1', 8, 12);
  if ((id === 'RIFF' || id === 'RF64' || id === 'RIFX') && form === 'WAVE') {
    return id3Chunks(file, id === 'RIFX' ? 'be32' : 'le32', 12);
  }
  if (id === 'FORM' && (form === 'AIFF' || form === 'AIFC')) {
    return id3Chunks(file, 'be32', 12);
  }
  if (id === 'FRM8') return id3Chunks(file, 'be64', 16);
  if (id === 'DSD ' && head.length === 28) {
    const pointer = Number(head.readBigUInt64LE(20));
    return pointer > 0 ? [pointer] : [];
  }

  const end = await afterLeadingId3(file);
  if (typeof end === 'string') return end;
  const places: number[] = [];
  for (let at = 0; at < end; ) {
    places.push(at);
    at += 10 + syncsafe(await readAt(file, at + 6, 4));
  }
  return places;
}

/**
 * The bodies of the `ID3 ` (or `id3 `) chunks from `at` on: a WAV's or
 * AIFF's, sizes of 32 bits; a DSDIFF's, of 64. All are looked at, as
 * music-metadata reads all.
 */
async function id3Chunks(
  file: FileHandle,
  sizes: 'le32' | 'be32' | 'be64',
  at: number,
): Promise<number[] | string> {
  const headerBytes = sizes === 'be64' ? 12 : 8;
  const places: number[] = [];
  for (let chunks = 0; ; chunks++) {
    const header = await readAt(file, at, headerBytes);
    if (header.length < headerBytes) return places;
    if (chunks === MAX_CHUNKS) return `more than ${MAX_CHUNKS} chunks`;
    if (header.toString('latin1', 0, 4).toUpperCase() === 'ID3 ') {
      places.push(at + headerBytes);
    }
    const size =
      sizes === 'le32'
        ? header.readUInt32LE(4)
        : sizes === 'be32'
          ? header.readUInt32BE(4)
          : Number(header.readBigUInt64BE(4));
    at += headerBytes + size + (size % 2);
  }
}

/** Frames counted so far: with an ID, and empty ones (padding). */
interface FrameCount {
  frames: number;
  padding: number;
}

/**
 * Counts the frames of the tag at `at` into `count`, as music-metadata
 * walks them: to the end of the tag, padding included (a zero byte is
 * not its end there: frames after it are read all the same), the
 * extended header skipped by its 32-bit size (10 when less) in every
 * version. Stops once either count is past its bound.
 */
async function countFrames(window: FileWindow, at: number, count: FrameCount): Promise<void> {
  const header = await window.read(at, 10);
  if (header.length < 10 || header.toString('latin1', 0, 3) !== 'ID3') return;
  const major = header[3];
  const size = syncsafe(header.subarray(6, 10));
  // v2.2 frames: 3-byte id and size; v2.3 and v2.4: 4-byte id, size, flags.
  const frameHeader = major === 2 ? 6 : 10;
  let next = at + 10;
  let end = next + size;
  if (header[5] & 0x40) {
    const extended = await window.read(next, 4);
    if (extended.length < 4) return;
    const declared = extended.readUInt32BE(0);
    next += Math.max(declared, 10);
    end = next + size - declared;
  }
  while (next + frameHeader <= end) {
    const frame = await window.read(next, frameHeader);
    if (frame.length < frameHeader) return;
    if (frame[0] === 0) count.padding++;
    else count.frames++;
    if (count.frames > MAX_ID3_FRAMES || count.padding > MAX_ID3_PADDING_FRAMES) return;
    const bodySize =
      major === 2
        ? frame.readUIntBE(3, 3)
        : major === 4
          ? syncsafe(frame.subarray(4, 8))
          : frame.readUInt32BE(4);
    next += frameHeader + bodySize;
  }
}

function syncsafe(bytes: Buffer): number {
  return [0, 1, 2, 3].reduce((n, i) => n * 128 + (bytes[i] & 0x7f), 0);
}
