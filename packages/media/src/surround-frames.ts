/**
 * Raw Dolby Digital (AC-3, E-AC-3) and DTS streams have no file header:
 * a file is frames end to end, each starting with a sync word. A two-byte
 * sync word turns up by chance in any binary, so a file counts as such a
 * stream only when frames follow one another for a while, each where the
 * length its predecessor declares ends.
 */

// Valid frame headers in a row that make a stream, unless it ends sooner.
const CHAIN = 3;
// Bytes of header a reader looks at.
const HEADER_BYTES = 12;

// AC-3 bit rates in kbit/s, by frmsizecod / 2 (ATSC A/52 table 5.18).
const AC3_KBPS = [
  32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448,
  512, 576, 640,
];

/** Length of the AC-3 or E-AC-3 frame at `i`, or 0 when none starts there. */
export function ac3FrameLength(head: Buffer, i: number): number {
  if (i + HEADER_BYTES > head.length) return 0;
  if (head[i] !== 0x0b || head[i + 1] !== 0x77) return 0;

  const bsid = head[i + 5] >> 3;
  if (bsid > 16) return 0;
  if (bsid > 10) {
    // E-AC-3: an 11-bit frame size in 16-bit words, less one.
    return ((((head[i + 2] & 0x7) << 8) | head[i + 3]) + 1) * 2;
  }

  const fscod = head[i + 4] >> 6;
  const code = head[i + 4] & 0x3f;
  if (fscod === 3 || code > 37) return 0;
  const kbps = AC3_KBPS[code >> 1];
  // 1536 samples a frame: 32 ms at 48 kHz, 48 ms at 32 kHz; at 44.1 kHz
  // frames of odd codes carry one padding word.
  if (fscod === 0) return kbps * 4;
  if (fscod === 2) return kbps * 6;
  return (Math.floor((kbps * 96_000) / 44_100) + (code & 1)) * 2;
}

const DTS_CORE_SYNC = 0x7ffe8001;
// An extension substream (DTS-HD) that follows a core frame.
const DTS_SUBSTREAM_SYNC = 0x64582025;

/** Length of the DTS core frame (16-bit big-endian) at `i`, or 0. */
export function dtsFrameLength(head: Buffer, i: number): number {
  if (i + HEADER_BYTES > head.length) return 0;
  if (head.readUInt32BE(i) !== DTS_CORE_SYNC) return 0;

  // NBLKS (7 bits): PCM sample blocks less one, 5 at least.
  const blocks = ((head[i + 4] & 0x1) << 6) | (head[i + 5] >> 2);
  // FSIZE (14 bits): bytes less one, 95 at least.
  const size =
    (((head[i + 5] & 0x3) << 12) | (head[i + 6] << 4) | (head[i + 7] >> 4)) + 1;
  return blocks >= 5 && size >= 96 ? size : 0;
}

type FrameLength = (head: Buffer, i: number) => number;

/**
 * 'ac3', 'eac3' or 'dts' when `head`, the start of a file of `fileSize`
 * bytes, holds a chain of such frames; null otherwise.
 */
export function scanSurroundFrames(
  head: Buffer,
  fileSize: number,
): string | null {
  for (let i = 0; i + HEADER_BYTES <= head.length; i++) {
    if (head[i] === 0x0b && isChain(head, i, fileSize, ac3FrameLength)) {
      return head[i + 5] >> 3 > 10 ? 'eac3' : 'ac3';
    }
    if (head[i] === 0x7f && isChain(head, i, fileSize, dtsFrameLength)) {
      return 'dts';
    }
  }
  return null;
}

function isChain(
  head: Buffer,
  start: number,
  fileSize: number,
  frameLength: FrameLength,
): boolean {
  let at = start;
  for (let frames = 0; frames < CHAIN; frames++) {
    const length = frameLength(head, at);
    if (length === 0) {
      // A DTS-HD extension substream where the next core frame would be.
      const substream =
        frames > 0 &&
        at + 4 <= head.length &&
        head.readUInt32BE(at) === DTS_SUBSTREAM_SYNC;
      return substream && frameLength === dtsFrameLength;
    }
    at += length;
    // Two whole frames that end the file, or run past what was read.
    if (at === fileSize || (at >= head.length && fileSize > head.length)) {
      return frames > 0;
    }
  }
  return true;
}
