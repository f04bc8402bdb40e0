import { open, type FileHandle } from 'node:fs/promises';
import { readAt } from './pcm-header';

/**
 * The length a DSD file declares: DSF's sample count, DSDIFF's DSD chunk
 * size. ffprobe 6 gives either only a size-based estimate, so a file cut
 * short looked whole and was published short (SPEC §3 "Truncated
 * sources"), as sized-header.ts does for W64, CAF and ASF.
 */

// Chunks walked before giving up on a malformed DSDIFF file.
const MAX_CHUNKS = 64;

/** Seconds declared, or null when the file is neither or declares none. */
export async function readDeclaredDsdLength(
  path: string,
): Promise<number | null> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const head = await readAt(file, 0, 76);
    if (head.length < 76) return null;
    const at0 = head.toString('latin1', 0, 4);
    if (at0 === 'DSD ') return dsfLength(head);
    if (at0 === 'FRM8' && head.toString('latin1', 12, 16) === 'DSD ') {
      return await dffLength(file);
    }
    return null;
  } catch {
    // An unreadable header is no evidence of anything.
    return null;
  } finally {
    await file?.close();
  }
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
  let offset = 16;

  for (let i = 0; i < MAX_CHUNKS; i++) {
    const header = await readAt(file, offset, 12);
    if (header.length < 12) return null;
    const id = header.toString('latin1', 0, 4);
    const size = Number(header.readBigUInt64BE(4));
    const body = offset + 12;

    if (id === 'PROP') {
      ({ rate, channels } = await soundProperties(file, body, size));
    } else if (id === 'DSD ') {
      if (!rate || !channels || size === 0) return null;
      return (size * 8) / channels / rate;
    }
    offset = body + size + (size % 2);
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
  let offset = start + 4;
  for (let i = 0; i < MAX_CHUNKS && offset < start + size; i++) {
    // Both chunks read start with their value: u32 rate, u16 channels.
    const header = await readAt(file, offset, 16);
    if (header.length < 14) break;
    const id = header.toString('latin1', 0, 4);
    const length = Number(header.readBigUInt64BE(4));
    if (id === 'FS  ' && header.length === 16) {
      found.rate = header.readUInt32BE(12);
    }
    if (id === 'CHNL') found.channels = header.readUInt16BE(12);
    offset += 12 + length + (length % 2);
  }
  return found;
}
