import { open } from 'node:fs/promises';

/**
 * Whether every MPEG audio frame of an mp3 file has one bitrate, read
 * from the frame headers. ffprobe reads only the first frames: a file
 * joined from a 320 kb/s part and a 128 kb/s one reports 320 kb/s, and
 * was then copied as the mp3 rendition, which SPEC §3 wants CBR 320.
 */

const CHUNK_BYTES = 1024 * 1024;

// kb/s by bitrate index, Layer III: MPEG-1, then MPEG-2 and 2.5.
const MPEG1_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
// Hz by sample rate index, by version bits (3: MPEG-1, 2: MPEG-2, 0: 2.5).
const RATES: Record<number, number[]> = {
  3: [44_100, 48_000, 32_000],
  2: [22_050, 24_000, 16_000],
  0: [11_025, 12_000, 8_000],
};

interface FrameHeader {
  bitrate: number;
  bytes: number;
}

/** A Layer III frame header, or null when `word` is none. */
function frameHeader(word: number): FrameHeader | null {
  if (word >>> 21 !== 0x7ff) return null;
  const version = (word >>> 19) & 3;
  const layer = (word >>> 17) & 3;
  const rateIndex = (word >>> 10) & 3;
  const kbps = (version === 3 ? MPEG1_KBPS : MPEG2_KBPS)[(word >>> 12) & 15];
  const rate = RATES[version]?.[rateIndex];
  // Layer III only; index 0 is free format, whose size no header gives.
  if (layer !== 1 || !kbps || !rate) return null;
  const perFrame = version === 3 ? 144 : 72;
  const padding = (word >>> 9) & 1;
  const bitrate = kbps * 1000;
  return { bitrate, bytes: Math.floor((perFrame * bitrate) / rate) + padding };
}

/**
 * True when the frames, from the first after any ID3v2 tag to the first
 * bytes that are no frame (a trailing tag), all have one bitrate; false
 * when they differ; null when the file starts with no frame to read.
 */
export async function hasOneBitrate(path: string): Promise<boolean | null> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(CHUNK_BYTES);
    let start = 0;
    let length = 0;
    // Reads so that bytes [at, at + want) are in the buffer.
    const load = async (at: number, want: number) => {
      if (at >= start && at + want <= start + length) return true;
      start = at;
      ({ bytesRead: length } = await file.read(buffer, 0, CHUNK_BYTES, at));
      return length >= want;
    };

    let offset = 0;
    if ((await load(0, 10)) && buffer.toString('latin1', 0, 3) === 'ID3') {
      const tagSize = [6, 7, 8, 9].reduce((n, i) => n * 128 + buffer[i], 0);
      // A footer flag adds 10 bytes after the tag.
      offset = 10 + tagSize + (buffer[5] & 0x10 ? 10 : 0);
    }

    let bitrate: number | null = null;
    while (offset + 4 <= size && (await load(offset, 4))) {
      const header = frameHeader(buffer.readUInt32BE(offset - start));
      if (!header) break;
      if (bitrate !== null && header.bitrate !== bitrate) return false;
      bitrate = header.bitrate;
      offset += header.bytes;
    }
    return bitrate === null ? null : true;
  } finally {
    await file.close();
  }
}
