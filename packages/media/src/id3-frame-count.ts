import { open } from 'node:fs/promises';

import { readAt } from './pcm-header';

/**
 * A bound on the frames of an mp3's ID3v2 tag, checked before
 * music-metadata reads its tags: it keeps every frame, and a 9.6 MB tag
 * of 800 000 empty TXXX frames took 250 MB and 2.5 s of the gateway; the
 * 256 MB an ID3v2 tag may declare would take it down. Real tags hold a
 * few dozen frames (a podcast's chapters a few hundred).
 */

export const MAX_ID3_FRAMES = 10_000;

/** Why the ID3v2 tag at the start of `path` has too many frames, or null. */
export async function id3FrameProblem(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    const header = await readAt(file, 0, 10);
    if (header.length < 10 || header.toString('latin1', 0, 3) !== 'ID3') return null;
    const major = header[3];
    const size = [6, 7, 8, 9].reduce((n, i) => n * 128 + (header[i] & 0x7f), 0);
    // v2.2 frames: 3-byte id and size; v2.3 and v2.4: 4-byte id, size, flags.
    const frameHeader = major === 2 ? 6 : 10;
    const end = 10 + size;
    let at = 10;
    if (major >= 3 && header[5] & 0x40) {
      const extended = await readAt(file, at, 4);
      if (extended.length < 4) return null;
      at += major === 4 ? syncsafe(extended) : 4 + extended.readUInt32BE(0);
    }
    for (let frames = 1; at + frameHeader <= end; frames++) {
      if (frames > MAX_ID3_FRAMES) {
        return `more than ${MAX_ID3_FRAMES} ID3 frames`;
      }
      const frame = await readAt(file, at, frameHeader);
      // Padding, or the end of what is there.
      if (frame.length < frameHeader || frame[0] === 0) return null;
      const bodySize =
        major === 2
          ? frame.readUIntBE(3, 3)
          : major === 4
            ? syncsafe(frame.subarray(4, 8))
            : frame.readUInt32BE(4);
      at += frameHeader + bodySize;
    }
    return null;
  } finally {
    await file.close();
  }
}

function syncsafe(bytes: Buffer): number {
  return [0, 1, 2, 3].reduce((n, i) => n * 128 + (bytes[i] & 0x7f), 0);
}
