import { open } from 'node:fs/promises';

/**
 * What the MPEG audio frames of an mp3 file hold, read from the frame
 * headers. ffprobe reads only the first frames: a file joined from a
 * 320 kb/s part and a 128 kb/s one reports 320 kb/s, and was then copied
 * as the mp3 rendition, which SPEC §3 wants CBR 320. And one joined from
 * parts of other rates or of mono and stereo frames reports the first
 * part's: ffmpeg 4.1, reading on through the change, rebuilds its
 * filters there and the flac encoder drops the samples it held (up to
 * 0.1 s), so its flac failed verification.
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
  rate: number;
  mono: boolean;
}

/** The frames' bitrate, and whether their format changes. */
export interface Mp3Frames {
  /** Every frame has one bitrate; null when there is no frame. */
  oneBitrate: boolean | null;
  /** Some frames have another sample rate, or mono and stereo mix. */
  formatChanges: boolean;
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
  const bytes = Math.floor((perFrame * bitrate) / rate) + padding;
  // Channel mode 3 is mono; the others (stereo, joint, dual) two channels.
  return { bitrate, bytes, rate, mono: ((word >>> 6) & 3) === 3 };
}

/**
 * True when every frame after any ID3v2 tag has one bitrate; false when
 * they differ; null when the file holds no frame to read.
 */
export async function hasOneBitrate(path: string): Promise<boolean | null> {
  return (await readMp3Frames(path)).oneBitrate;
}

/**
 * Walks every frame after any ID3v2 tag. Bytes that are no frame (junk,
 * a tag between joined parts, a trailing tag) are passed over to the
 * next frame, as a decoder resyncs: stopping there would let one stray
 * byte hide every frame after it.
 */
export async function readMp3Frames(path: string): Promise<Mp3Frames> {
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

    // The frame starting at `at`, if one is there.
    const headerAt = async (at: number) =>
      at + 4 <= size && (await load(at, 4))
        ? frameHeader(buffer.readUInt32BE(at - start))
        : null;

    // The next frame from `from` that fits in the file and that another
    // frame follows (or the file's end): a lone sync pattern in a tag's
    // bytes is no frame. Bytes in the buffer are looked at without a
    // wait each: a file of junk bytes must cost no more than reading it.
    const resync = async (from: number): Promise<number | null> => {
      let at = from;
      while (at + 4 <= size && (await load(at, 4))) {
        let i = at - start;
        for (; i <= length - 4; i++) {
          // Sync bits and Layer III in the second byte, before the rest.
          if (buffer[i] !== 0xff || (buffer[i + 1] & 0xe6) !== 0xe2) continue;
          const header = frameHeader(buffer.readUInt32BE(i));
          if (!header) continue;
          const next = start + i + header.bytes;
          if (next > size) continue;
          if (next + 4 > size) return start + i;
          // Its follower is read with a wait only past the buffer.
          if (next + 4 > start + length) break;
          if (frameHeader(buffer.readUInt32BE(next - start))) return start + i;
        }
        if (i > length - 4) {
          at = start + length - 3;
          continue;
        }
        const candidate = start + i;
        const next = candidate + frameHeader(buffer.readUInt32BE(i))!.bytes;
        if (await headerAt(next)) return candidate;
        at = candidate + 1;
      }
      return null;
    };

    let first: FrameHeader | null = null;
    let oneBitrate = true;
    let formatChanges = false;
    while (offset + 4 <= size && (await load(offset, 4))) {
      const header = await headerAt(offset);
      if (!header) {
        const next = await resync(offset + 1);
        if (next === null) break;
        offset = next;
        continue;
      }
      first ??= header;
      if (header.bitrate !== first.bitrate) oneBitrate = false;
      if (header.rate !== first.rate || header.mono !== first.mono) {
        formatChanges = true;
      }
      if (!oneBitrate && formatChanges) break;
      offset += header.bytes;
    }
    return { oneBitrate: first === null ? null : oneBitrate, formatChanges };
  } finally {
    await file.close();
  }
}
