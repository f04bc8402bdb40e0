import type { FileHandle } from 'node:fs/promises';
import { bigEndianChunks } from './chunk-walk';
import { readAt } from './pcm-header';

/**
 * The length a DSD file declares: DSF's sample count, DSDIFF's DSD chunk
 * size. ffprobe 6 gives either only a size-based estimate, so a file cut
 * short looked whole and was published short (SPEC §3 "Truncated
 * sources"). Read through readDeclaredSizedLength (sized-header.ts).
 */

/**
 * Seconds a DSF or DSDIFF file declares, from its first 76 bytes and
 * its chunks; null when it is neither or declares none.
 */
export async function dsdLength(
  file: FileHandle,
  head: Buffer,
): Promise<number | null> {
  if (head.length < 76) return null;
  const at0 = head.toString('latin1', 0, 4);
  if (at0 === 'DSD ') return dsfLength(head);
  if (at0 === 'FRM8' && head.toString('latin1', 12, 16) === 'DSD ') {
    return await dffLength(file);
  }
  return null;
}

/** DSF: a 28-byte DSD chunk, then the fmt chunk with rate and count. */
function dsfLength(head: Buffer): number | null {
  if (head.toString('latin1', 28, 32) !== 'fmt ') return null;
  const formatId = head.readUInt32LE(44);
  const rate = head.readUInt32LE(56);
  const samples = Number(head.readBigUInt64LE(64));
  // Format 0 is plain DSD, the only one defined.
  if (formatId !== 0 || rate === 0 || samples === 0) return null;
  return samples / rate;
}

/**
 * DSDIFF: big-endian chunks of a 4-byte id and 8-byte size, padded to
 * even. PROP/SND holds the rate (FS) and channels (CHNL); the DSD chunk
 * holds one bit per sample and channel. A DST-compressed file (a DST
 * chunk instead) declares nothing read here.
 */
async function dffLength(file: FileHandle): Promise<number | null> {
  let rate = 0;
  let channels = 0;
  for await (const { id, size, body } of bigEndianChunks(file, 16, true)) {
    if (id === 'PROP') {
      ({ rate, channels } = await soundProperties(file, body, size));
    } else if (id === 'DSD ') {
      if (!rate || !channels || size <= 0) return null;
      return (size * 8) / channels / rate;
    }
  }
  return null;
}

async function soundProperties(
  file: FileHandle,
  start: number,
  size: number,
): Promise<{ rate: number; channels: number }> {
  const found = { rate: 0, channels: 0 };
  if ((await readAt(file, start, 4)).toString('latin1') !== 'SND ') {
    return found;
  }
  for await (const { id, body } of bigEndianChunks(file, start + 4, true)) {
    if (body >= start + size) break;
    // Both chunks read start with their value: u32 rate, u16 channels.
    const value = await readAt(file, body, 4);
    if (id === 'FS  ' && value.length === 4) found.rate = value.readUInt32BE(0);
    if (id === 'CHNL' && value.length >= 2) found.channels = value.readUInt16BE(0);
  }
  return found;
}
