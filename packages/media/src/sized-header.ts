import { open, type FileHandle } from 'node:fs/promises';
import { bigEndianChunks } from './chunk-walk';
import { dsdLength } from './dsd-header';
import { readAt } from './pcm-header';

/**
 * The length a Sony Wave64, Apple CAF, ASF (WMA) or DSD file (DSF,
 * DSDIFF: dsd-header.ts) declares, read from its chunks. ffprobe 6
 * reports such a file's length from its size
 * ("estimated from bitrate") or from what is left of it, so one cut short
 * looked whole and was published short, though these containers declare
 * their audio (SPEC §3 "Truncated sources"), as WAV and AIFF do
 * (pcm-header.ts).
 */

// Chunks walked before giving up on a malformed file.
const MAX_CHUNKS = 256;

// W64 ids are GUIDs; each named one ends in these 12 bytes.
const W64_TAIL = Buffer.from('f3acd3118cd100c04f8edb8a', 'hex');
const W64_RIFF = Buffer.from('726966662e91cf11a5d628db04c10000', 'hex');
const W64_HEADER_BYTES = 24;

/** Seconds declared, or null when the file is neither or declares none. */
export async function readDeclaredSizedLength(
  path: string,
): Promise<number | null> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const head = await readAt(file, 0, 76);
    if (head.length < 40) return null;
    if (head.subarray(0, 16).equals(W64_RIFF)) return await w64Length(file);
    if (head.toString('latin1', 0, 4) === 'caff') return await cafLength(file);
    if (head.subarray(0, 16).equals(ASF_HEADER)) return await asfLength(file);
    return await dsdLength(file, head);
  } catch {
    // An unreadable header is no evidence of anything.
    return null;
  } finally {
    await file?.close();
  }
}

async function w64Length(file: FileHandle): Promise<number | null> {
  let rate = 0;
  let blockAlign = 0;
  let byteRate = 0;
  let factFrames = 0;
  let offset = 40;

  for (let i = 0; i < MAX_CHUNKS; i++) {
    const header = await readAt(file, offset, W64_HEADER_BYTES);
    if (header.length < W64_HEADER_BYTES) return null;
    const size = Number(header.readBigUInt64LE(16));
    if (size < W64_HEADER_BYTES) return null;
    const id = header.subarray(4, 16).equals(W64_TAIL)
      ? header.toString('latin1', 0, 4)
      : '';
    const body = offset + W64_HEADER_BYTES;

    if (id === 'fmt ') {
      const fmt = await readAt(file, body, 16);
      if (fmt.length < 16) return null;
      const fixed = [1, 3, 6, 7, 0xfffe].includes(fmt.readUInt16LE(0));
      rate = fmt.readUInt32LE(4);
      byteRate = fmt.readUInt32LE(8);
      blockAlign = fixed ? fmt.readUInt16LE(12) : 0;
    } else if (id === 'fact' && size >= W64_HEADER_BYTES + 4) {
      factFrames = (await readAt(file, body, 4)).readUInt32LE(0);
    } else if (id === 'data') {
      const bytes = size - W64_HEADER_BYTES;
      if (!rate || bytes === 0) return null;
      if (blockAlign) return Math.floor(bytes / blockAlign) / rate;
      if (factFrames) return factFrames / rate;
      return byteRate ? bytes / byteRate : null;
    }
    // Chunks are aligned to 8 bytes.
    offset += Math.ceil(size / 8) * 8;
  }
  return null;
}

// ASF (WMA) object GUIDs, as stored.
const ASF_HEADER = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex');
const ASF_FILE_PROPERTIES = Buffer.from('a1dcab8c47a9cf118ee400c00c205365', 'hex');
const ASF_BROADCAST = 0x1;

/**
 * An ASF file's play duration (100 ns units, less the preroll in ms),
 * from its File Properties object. ffprobe 6 gave a cut WMA the length of
 * what was left, so it passed as whole.
 */
async function asfLength(file: FileHandle): Promise<number | null> {
  const count = (await readAt(file, 24, 4)).readUInt32LE(0);
  let offset = 30;
  for (let i = 0; i < Math.min(count, MAX_CHUNKS); i++) {
    const header = await readAt(file, offset, 24);
    if (header.length < 24) return null;
    const size = Number(header.readBigUInt64LE(16));
    if (size < 24) return null;
    if (header.subarray(0, 16).equals(ASF_FILE_PROPERTIES)) {
      const body = await readAt(file, offset + 24, 80);
      if (body.length < 80) return null;
      // A broadcast file's duration fields are not valid.
      if (body.readUInt32LE(72) & ASF_BROADCAST) return null;
      const play = Number(body.readBigUInt64LE(40)) / 1e7;
      const preroll = Number(body.readBigUInt64LE(56)) / 1000;
      return play - preroll > 0 ? play - preroll : null;
    }
    offset += size;
  }
  return null;
}

async function cafLength(file: FileHandle): Promise<number | null> {
  let rate = 0;
  let bytesPerPacket = 0;
  let framesPerPacket = 0;

  for await (const { id, size, body } of bigEndianChunks(file, 8)) {
    if (id === 'desc') {
      const desc = await readAt(file, body, 32);
      if (desc.length < 32) return null;
      rate = desc.readDoubleBE(0);
      bytesPerPacket = desc.readUInt32BE(16);
      framesPerPacket = desc.readUInt32BE(20);
    } else if (id === 'pakt' && size >= 16) {
      // Packets of varying size: the table counts the valid frames.
      const valid = Number((await readAt(file, body, 16)).readBigInt64BE(8));
      return rate > 0 && valid > 0 ? valid / rate : null;
    } else if (id === 'data' && bytesPerPacket && framesPerPacket) {
      // -1: written by a streamer, the audio runs to the end.
      if (size < 0 || !(rate > 0)) return null;
      // The data starts with a 4-byte edit count.
      const packets = Math.floor(Math.max(0, size - 4) / bytesPerPacket);
      return (packets * framesPerPacket) / rate;
    }
    // Packets of varying size: their table may follow the data.
  }
  return null;
}

/** A CAF whose data chunk declares more bytes than the file holds. */
export interface CafShortfall {
  /** Audio bytes the data chunk declares (its edit count left out). */
  declaredBytes: number;
  /** Audio bytes present in the file. */
  presentBytes: number;
}

/**
 * The bytes missing from a CAF cut short, or null when the file is no CAF
 * or holds all its data chunk declares. ffmpeg writes the packet table of
 * packets of varying size (ALAC, AAC) after the data, so such a file cut
 * short has none: neither ffprobe nor ffmpeg opens it, and its frames
 * cannot be counted, but its data chunk still declares its byte size.
 */
export async function readCafShortfall(
  path: string,
): Promise<CafShortfall | null> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const fileBytes = (await file.stat()).size;
    if ((await readAt(file, 0, 4)).toString('latin1') !== 'caff') return null;
    for await (const { id, size, body } of bigEndianChunks(file, 8)) {
      if (id === 'data') {
        if (size < 4 || body + size <= fileBytes) return null;
        return {
          declaredBytes: size - 4,
          presentBytes: Math.max(0, fileBytes - body - 4),
        };
      }
    }
    return null;
  } catch {
    return null;
  } finally {
    await file?.close();
  }
}
