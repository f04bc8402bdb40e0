import { open, type FileHandle } from 'node:fs/promises';

/**
 * The duration a WAV or AIFF header declares, read from the file itself.
 *
 * ffprobe cannot be asked for this: when a WAV is cut short it reports the
 * length of what is there and says it estimated it from the bitrate, which
 * hides exactly the truncation SPEC §3 asks to detect. The chunk sizes and
 * frame counts are what the container declares, so they are read here.
 */
export interface DeclaredPcmLength {
  container: 'wav' | 'aiff';
  durationS: number;
}

// Chunks walked before giving up on a malformed file.
const MAX_CHUNKS = 256;
const UNKNOWN_SIZE = 0xffff_ffff;

/** Null when the file is neither WAV nor AIFF, or declares no length. */
export async function readDeclaredPcmLength(
  path: string,
): Promise<DeclaredPcmLength | null> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const head = await readAt(file, 0, 12);
    if (head.length < 12) return null;

    const id = head.toString('latin1', 0, 4);
    const kind = head.toString('latin1', 8, 12);
    if ((id === 'RIFF' || id === 'RF64') && kind === 'WAVE') {
      return await readWav(file, id === 'RF64');
    }
    if (id === 'FORM' && (kind === 'AIFF' || kind === 'AIFC')) {
      return await readAiff(file);
    }
    return null;
  } catch {
    // An unreadable header is no evidence of anything.
    return null;
  } finally {
    await file?.close();
  }
}

async function readAt(
  file: FileHandle,
  position: number,
  length: number,
): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

interface WavFacts {
  formatTag?: number;
  sampleRate?: number;
  byteRate?: number;
  blockAlign?: number;
  factFrames?: number;
  dataSize?: number;
}

async function readWav(
  file: FileHandle,
  rf64: boolean,
): Promise<DeclaredPcmLength | null> {
  const facts: WavFacts = {};
  let offset = 12;

  for (let i = 0; i < MAX_CHUNKS && facts.dataSize === undefined; i++) {
    const header = await readAt(file, offset, 8);
    if (header.length < 8) break;
    const id = header.toString('latin1', 0, 4);
    const size = header.readUInt32LE(4);
    const body = offset + 8;

    if (id === 'fmt ') {
      const fmt = await readAt(file, body, 16);
      if (fmt.length < 16) return null;
      facts.formatTag = fmt.readUInt16LE(0);
      facts.sampleRate = fmt.readUInt32LE(4);
      facts.byteRate = fmt.readUInt32LE(8);
      facts.blockAlign = fmt.readUInt16LE(12);
    } else if (id === 'fact' && size >= 4) {
      facts.factFrames = (await readAt(file, body, 4)).readUInt32LE(0);
    } else if (id === 'ds64' && rf64 && size >= 24) {
      const ds64 = await readAt(file, body, 24);
      facts.dataSize = Number(ds64.readBigUInt64LE(8));
    } else if (id === 'data') {
      facts.dataSize ??= size;
    }
    offset = body + size + (size % 2);
  }
  return wavDuration(facts);
}

// PCM, IEEE float, A-law, µ-law and WAVE_FORMAT_EXTENSIBLE: fixed frames.
const FIXED_FRAME_FORMATS = new Set([0x0001, 0x0003, 0x0006, 0x0007, 0xfffe]);

function wavDuration(facts: WavFacts): DeclaredPcmLength | null {
  const { sampleRate, dataSize } = facts;
  if (!sampleRate || dataSize === undefined) return null;
  // Streaming writers leave the size unset; nothing is declared then.
  if (dataSize === 0 || dataSize === UNKNOWN_SIZE) return null;

  let frames: number | undefined;
  if (FIXED_FRAME_FORMATS.has(facts.formatTag ?? -1) && facts.blockAlign) {
    frames = Math.floor(dataSize / facts.blockAlign);
  } else if (facts.factFrames) {
    frames = facts.factFrames;
  } else if (facts.byteRate) {
    return { container: 'wav', durationS: dataSize / facts.byteRate };
  }
  if (frames === undefined) return null;
  return { container: 'wav', durationS: frames / sampleRate };
}

async function readAiff(file: FileHandle): Promise<DeclaredPcmLength | null> {
  let offset = 12;
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const header = await readAt(file, offset, 8);
    if (header.length < 8) return null;
    const id = header.toString('latin1', 0, 4);
    const size = header.readUInt32BE(4);

    if (id === 'COMM') {
      const comm = await readAt(file, offset + 8, 18);
      if (comm.length < 18) return null;
      const frames = comm.readUInt32BE(2);
      const rate = extendedToNumber(comm.subarray(8, 18));
      if (!(rate > 0) || !Number.isFinite(rate)) return null;
      return { container: 'aiff', durationS: frames / rate };
    }
    offset += 8 + size + (size % 2);
  }
  return null;
}

/** IEEE 754 80-bit extended (AIFF's sample rate) to a JS number. */
export function extendedToNumber(bytes: Buffer): number {
  const exponent = bytes.readUInt16BE(0);
  const sign = exponent & 0x8000 ? -1 : 1;
  const biased = exponent & 0x7fff;
  const mantissa = Number(bytes.readBigUInt64BE(2));
  if (biased === 0 && mantissa === 0) return 0;
  return sign * mantissa * 2 ** (biased - 16383 - 63);
}
