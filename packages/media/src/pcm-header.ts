import { open, type FileHandle } from 'node:fs/promises';

/**
 * What a WAV or AIFF file says about its samples, read from the file.
 *
 * Two uses. A source's *declared* duration: ffprobe cannot be asked for
 * it, since for a WAV cut short it reports the length of what is there
 * (estimated from the bitrate), which hides exactly the truncation
 * SPEC §3 asks to detect. And a PCM rendition's *decoded* length: for
 * plain PCM, decoding is taking whole sample frames from the data chunk,
 * so counting the frames actually present in the file (never more than
 * the header declares, never more than the bytes there) measures what
 * any decoder will produce, without running one.
 */
export interface DeclaredPcmLength {
  container: 'wav' | 'aiff';
  durationS: number;
}

/** Whole sample frames present in a PCM file's data chunk. */
export interface PresentPcmFrames {
  container: 'wav' | 'aiff';
  frames: number;
  sampleRate: number;
  /** The header declares more audio than the file holds. */
  shortOfDeclared: boolean;
}

// Chunks walked before giving up on a malformed file.
const MAX_CHUNKS = 256;
const UNKNOWN_SIZE = 0xffff_ffff;

// PCM, IEEE float, A-law, µ-law and WAVE_FORMAT_EXTENSIBLE: fixed frames.
const FIXED_FRAME_FORMATS = new Set([0x0001, 0x0003, 0x0006, 0x0007, 0xfffe]);
// AIFC compression types whose frames are plain integer samples.
const PLAIN_AIFC = new Set(['NONE', 'twos', 'sowt', 'raw ', 'in24', '42ni']);

/** The layout facts both readings need. */
interface PcmLayout {
  container: 'wav' | 'aiff';
  sampleRate?: number;
  /** Bytes per sample frame, when frames have a fixed size. */
  blockAlign?: number;
  /** WAV only, for formats without fixed frames. */
  byteRate?: number;
  factFrames?: number;
  /** AIFF's COMM frame count. */
  commFrames?: number;
  /**
   * Sample frames in each of those, for an AIFC codec whose COMM counts
   * packets: IMA4 (Apple's IMA ADPCM) packs 64 of them in a packet.
   */
  framesPerPacket?: number;
  /** Where the sample data starts and how many bytes it declares. */
  dataOffset?: number;
  dataSize?: number;
}

/** Null when the file is neither WAV nor AIFF, or declares no length. */
export async function readDeclaredPcmLength(
  path: string,
): Promise<DeclaredPcmLength | null> {
  const layout = await withFile(path, readLayout);
  if (!layout) return null;
  return layout.container === 'wav' ? wavDuration(layout) : aiffDuration(layout);
}

/**
 * Whole frames of fixed-size PCM in the file at `path`, or null when it is
 * not such a file (another codec, an unreadable layout): the caller then
 * decodes it instead.
 */
export async function countPresentPcmFrames(
  path: string,
): Promise<PresentPcmFrames | null> {
  return withFile(path, async (file) => {
    const layout = await readLayout(file);
    const { sampleRate, blockAlign, dataOffset, dataSize } = layout ?? {};
    if (!layout || !sampleRate || !blockAlign || dataOffset === undefined) {
      return null;
    }
    if (dataSize === undefined || dataSize === UNKNOWN_SIZE) return null;
    const { size } = await file.stat();
    const present = Math.max(0, Math.min(dataSize, size - dataOffset));
    const frames = Math.floor(present / blockAlign);
    return {
      container: layout.container,
      frames,
      sampleRate,
      shortOfDeclared:
        present < dataSize || (layout.commFrames ?? 0) > frames,
    };
  });
}

async function withFile<T>(
  path: string,
  read: (file: FileHandle) => Promise<T | null>,
): Promise<T | null> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    return await read(file);
  } catch {
    // An unreadable header is no evidence of anything.
    return null;
  } finally {
    await file?.close();
  }
}

async function readLayout(file: FileHandle): Promise<PcmLayout | null> {
  const head = await readAt(file, 0, 12);
  if (head.length < 12) return null;

  const id = head.toString('latin1', 0, 4);
  const kind = head.toString('latin1', 8, 12);
  if ((id === 'RIFF' || id === 'RF64' || id === 'RIFX') && kind === 'WAVE') {
    return readWav(file, id);
  }
  if (id === 'FORM' && (kind === 'AIFF' || kind === 'AIFC')) {
    return readAiff(file, kind === 'AIFC');
  }
  return null;
}

/** Up to `length` bytes of `file` from `position`; fewer at its end. */
export async function readAt(
  file: FileHandle,
  position: number,
  length: number,
): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

async function readWav(file: FileHandle, id: string): Promise<PcmLayout> {
  const layout: PcmLayout = { container: 'wav' };
  // RIFX is RIFF with its numbers big-endian.
  const big = id === 'RIFX';
  const u16 = (b: Buffer, at: number) => (big ? b.readUInt16BE(at) : b.readUInt16LE(at));
  const u32 = (b: Buffer, at: number) => (big ? b.readUInt32BE(at) : b.readUInt32LE(at));
  let formatTag = -1;
  let offset = 12;

  for (let i = 0; i < MAX_CHUNKS && layout.dataOffset === undefined; i++) {
    const header = await readAt(file, offset, 8);
    if (header.length < 8) break;
    const chunk = header.toString('latin1', 0, 4);
    const size = u32(header, 4);
    const body = offset + 8;

    if (chunk === 'fmt ') {
      const fmt = await readAt(file, body, 16);
      if (fmt.length < 16) break;
      formatTag = u16(fmt, 0);
      layout.sampleRate = u32(fmt, 4);
      layout.byteRate = u32(fmt, 8);
      // A frame is a sample of each channel, as the decoder takes it,
      // whatever the block size says: some writers put one channel's
      // there, which made a whole stereo file read as twice its length,
      // and `truncated`.
      const frame = u16(fmt, 2) * Math.ceil(u16(fmt, 14) / 8);
      layout.blockAlign = frame || u16(fmt, 12) || undefined;
    } else if (chunk === 'fact' && size >= 4) {
      layout.factFrames = u32(await readAt(file, body, 4), 0);
    } else if (chunk === 'ds64' && id === 'RF64' && size >= 24) {
      const ds64 = await readAt(file, body, 24);
      layout.dataSize = Number(ds64.readBigUInt64LE(8));
    } else if (chunk === 'data') {
      layout.dataSize ??= size;
      layout.dataOffset = body;
    }
    offset = body + size + (size % 2);
  }
  if (!FIXED_FRAME_FORMATS.has(formatTag)) layout.blockAlign = undefined;
  return layout;
}

function wavDuration(layout: PcmLayout): DeclaredPcmLength | null {
  const { sampleRate, dataSize } = layout;
  if (!sampleRate || dataSize === undefined) return null;
  // Streaming writers leave the size unset; nothing is declared then.
  if (dataSize === 0 || dataSize === UNKNOWN_SIZE || soxUnspecified(dataSize)) {
    return null;
  }

  let frames: number | undefined;
  if (layout.blockAlign) {
    frames = Math.floor(dataSize / layout.blockAlign);
  } else if (layout.factFrames) {
    frames = layout.factFrames;
  } else if (layout.byteRate) {
    return { container: 'wav', durationS: dataSize / layout.byteRate };
  }
  if (frames === undefined) return null;
  return { container: 'wav', durationS: frames / sampleRate };
}

/**
 * SoX writing to a pipe, where it cannot come back to write the size,
 * gives the data chunk 0x7ffff000 bytes less what makes whole blocks:
 * a 2 s file read as a 3.4-hour one cut short, and `truncated`.
 */
const SOX_UNSPECIFIED = 0x7fff_f000;

function soxUnspecified(dataSize: number): boolean {
  return dataSize <= SOX_UNSPECIFIED && SOX_UNSPECIFIED - dataSize < 0x1_0000;
}

async function readAiff(file: FileHandle, aifc: boolean): Promise<PcmLayout> {
  const layout: PcmLayout = { container: 'aiff' };
  let offset = 12;
  // COMM may come before or after SSND.
  const done = () =>
    layout.dataOffset !== undefined && layout.commFrames !== undefined;

  for (let i = 0; i < MAX_CHUNKS && !done(); i++) {
    const header = await readAt(file, offset, 8);
    if (header.length < 8) break;
    const id = header.toString('latin1', 0, 4);
    const size = header.readUInt32BE(4);
    const body = offset + 8;

    if (id === 'COMM') {
      const comm = await readAt(file, body, 22);
      if (comm.length < 18) break;
      const channels = comm.readUInt16BE(0);
      layout.commFrames = comm.readUInt32BE(2);
      const bits = comm.readUInt16BE(6);
      const rate = extendedToNumber(comm.subarray(8, 18));
      layout.sampleRate = rate > 0 && Number.isFinite(rate) ? rate : undefined;
      const compression = aifc ? comm.toString('latin1', 18, 22) : 'NONE';
      const plain = PLAIN_AIFC.has(compression);
      if (compression === 'ima4') layout.framesPerPacket = 64;
      if (plain && channels > 0 && bits > 0) {
        layout.blockAlign = channels * Math.ceil(bits / 8);
      }
    } else if (id === 'SSND' && size >= 8) {
      const ssnd = await readAt(file, body, 8);
      if (ssnd.length < 8) break;
      const skip = ssnd.readUInt32BE(0);
      layout.dataOffset = body + 8 + skip;
      layout.dataSize = Math.max(0, size - 8 - skip);
    }
    offset = body + size + (size % 2);
  }
  return layout;
}

function aiffDuration(layout: PcmLayout): DeclaredPcmLength | null {
  if (!layout.sampleRate || layout.commFrames === undefined) return null;
  // A cut IMA4 file read as 1/64 of its length was never truncated.
  const frames = layout.commFrames * (layout.framesPerPacket ?? 1);
  return { container: 'aiff', durationS: frames / layout.sampleRate };
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
