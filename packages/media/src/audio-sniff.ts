import { open } from 'node:fs/promises';

import { scanSurroundFrames } from './surround-frames';

/**
 * Upload-time check: is this plausibly an audio container? It reads only
 * the first bytes, runs no decoder, and accepts a real container even when
 * its audio later proves undecodable (that is the transcoder's verdict to
 * give, with a better reason). It refuses empty files, text, HTML and
 * playlists, and binaries of no audio format.
 */
export type AudioSniff =
  | { audio: true; container: string }
  | {
      audio: false;
      reason: string;
      /**
       * An audio format known by name that ffmpeg (4.1, the bundled
       * build) cannot read; `reason` then says what to convert it to.
       */
      unsupported?: string;
    };

const SNIFF_BYTES = 64 * 1024;

export async function looksLikeAudio(path: string): Promise<AudioSniff> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await file.read(buffer, 0, SNIFF_BYTES, 0);
    const size = (await file.stat()).size;
    return sniffAudio(buffer.subarray(0, bytesRead), size);
  } finally {
    await file.close();
  }
}

/** The same check on bytes already in memory (the head of the file). */
export function sniffAudio(head: Buffer, fileSize: number): AudioSniff {
  if (fileSize === 0 || head.length === 0) {
    return { audio: false, reason: 'the file is empty (0 bytes)' };
  }

  const container =
    magicContainer(head) ??
    // Three frames in a row: a surer sign than the two mp3 takes, and
    // DTS frames can hold a pair that reads as ADTS.
    scanSurroundFrames(head, fileSize) ??
    scanMpegFrames(head, fileSize);
  if (container) return { audio: true, container };

  return unsupportedAudio(head) ?? { audio: false, reason: whyNotAudio(head) };
}

function ascii(head: Buffer, start: number, end: number): string {
  return head.toString('latin1', start, end);
}

const EBML = Buffer.from('1a45dfa3', 'hex');
const ASF_HEADER = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex');

function magicContainer(head: Buffer): string | null {
  const at0 = ascii(head, 0, 4);
  const at8 = ascii(head, 8, 12);

  // RIFX: a WAV with big-endian numbers, which ffmpeg reads as well.
  if ((at0 === 'RIFF' || at0 === 'RF64' || at0 === 'RIFX') && at8 === 'WAVE') return 'wav';
  if (at0 === 'FORM' && (at8 === 'AIFF' || at8 === 'AIFC')) return 'aiff';
  if (at0 === 'fLaC') return 'flac';
  if (at0 === 'OggS') return 'ogg';
  if (ascii(head, 4, 8) === 'ftyp') return 'm4a';
  if (at0 === 'caff') return 'caf';
  if (at0 === 'wvpk') return 'wavpack';
  if (at0 === 'MAC ') return 'ape';
  if (at0 === 'riff' && head[4] === 0x2e && head[5] === 0x91) return 'w64';
  if (ascii(head, 0, 3) === 'ID3') return 'mp3';
  if (at0 === '.snd') return 'au';
  if (at0 === 'TTA1') return 'tta';
  if (ascii(head, 0, 5) === '#!AMR') return 'amr';
  // EBML header of Matroska/WebM; ASF's header object GUID (WMA).
  if (head.subarray(0, 4).equals(EBML)) return 'matroska';
  if (head.subarray(0, 16).equals(ASF_HEADER)) return 'wma';
  return dolbyOrDsdContainer(head);
}

// Major sync of a TrueHD or MLP access unit, after its 4-byte header.
const TRUEHD_SYNC = Buffer.from('f8726fba', 'hex');
const MLP_SYNC = Buffer.from('f8726fbb', 'hex');

function dolbyOrDsdContainer(head: Buffer): string | null {
  if (ascii(head, 0, 8) === 'DTSHDHDR') return 'dtshd';
  const at4 = head.subarray(4, 8);
  if (at4.equals(TRUEHD_SYNC)) return 'truehd';
  if (at4.equals(MLP_SYNC)) return 'mlp';
  if (ascii(head, 0, 4) === 'DSD ' && ascii(head, 28, 32) === 'fmt ') {
    return 'dsf';
  }
  // DSDIFF only: ffmpeg's demuxer for it also reads Amiga IFF pictures.
  if (ascii(head, 0, 4) === 'FRM8' && ascii(head, 12, 16) === 'DSD ') {
    return 'dff';
  }
  return null;
}

// kbit/s by [version class][layer][index]; class 0 = MPEG-1, 1 = MPEG-2/2.5.
const BITRATES: Record<string, number[]> = {
  '0-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '0-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '0-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '1-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '1-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '1-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES = [44_100, 48_000, 32_000];

/**
 * Length in bytes of the MPEG audio frame (or ADTS AAC marker) starting
 * at `i`, or 0 when no valid header is there.
 */
export function mpegFrameLength(head: Buffer, i: number): number {
  if (i + 4 > head.length) return 0;
  const b1 = head[i + 1];
  if (head[i] !== 0xff || (b1 & 0xe0) !== 0xe0) return 0;

  const version = (b1 >> 3) & 0x3; // 0: 2.5, 2: MPEG-2, 3: MPEG-1
  const layerBits = (b1 >> 1) & 0x3; // 3: layer I … 1: layer III
  if (version === 1 || layerBits === 0) return 0;

  const b2 = head[i + 2];
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 0x3;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return 0;

  const layer = 4 - layerBits;
  const table = BITRATES[`${version === 3 ? 0 : 1}-${layer}`];
  const bitrate = table[bitrateIndex] * 1000;
  const divisor = version === 3 ? 1 : version === 2 ? 2 : 4;
  const sampleRate = SAMPLE_RATES[rateIndex] / divisor;
  const padding = (b2 >> 1) & 0x1;

  if (layer === 1) {
    return (Math.floor((12 * bitrate) / sampleRate) + padding) * 4;
  }
  const perFrame = layer === 3 && version !== 3 ? 72 : 144;
  return Math.floor((perFrame * bitrate) / sampleRate) + padding;
}

/**
 * mp3 files without an ID3 tag may start with padding or junk, so frame
 * headers are searched for; two in a row (or one that ends the file) rule
 * out a chance 0xFFE in other binary data.
 */
function scanMpegFrames(head: Buffer, fileSize: number): string | null {
  const kinds: Array<[string, (b: Buffer, i: number) => number]> = [
    ['mp3', mpegFrameLength],
    ['aac', adtsFrameLength],
  ];
  for (let i = 0; i + 4 <= head.length; i++) {
    if (head[i] !== 0xff) continue;
    for (const [container, frameLength] of kinds) {
      const length = frameLength(head, i);
      if (length < 7) continue;
      const next = i + length;
      if (next === fileSize || frameLength(head, next) > 0) return container;
    }
  }
  return null;
}

/** Length of the ADTS (raw AAC) frame at `i`, or 0. */
export function adtsFrameLength(head: Buffer, i: number): number {
  if (i + 7 > head.length) return 0;
  if (head[i] !== 0xff || (head[i + 1] & 0xf6) !== 0xf0) return 0;
  if (((head[i + 2] >> 2) & 0xf) > 12) return 0;
  return (
    ((head[i + 3] & 0x3) << 11) | (head[i + 4] << 3) | (head[i + 5] >> 5)
  );
}

/**
 * Audio formats named in the refusal, so that a person knows what to
 * convert rather than reading that the file is no audio.
 */
function unsupportedAudio(head: Buffer): AudioSniff | null {
  // BW64 (ITU-R BS.2088): RF64 under another name, read by ffmpeg 4.4
  // and later only.
  if (ascii(head, 0, 4) === 'BW64' && ascii(head, 8, 12) === 'WAVE') {
    return {
      audio: false,
      unsupported: 'bw64',
      reason:
        'BW64 (broadcast wave 64) is not supported: convert it to WAV ' +
        '(RF64 for files over 4 GiB) and upload it again',
    };
  }
  return null;
}

function whyNotAudio(head: Buffer): string {
  const text = head.subarray(0, 1024).toString('utf8');
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();

  if (trimmed.startsWith('#EXTM3U')) {
    return 'a playlist (m3u/HLS), not an audio file';
  }
  if (/^<(!doctype|html|\?xml|head|body)/i.test(trimmed)) {
    return 'an HTML or XML document, not an audio file';
  }
  if (isMostlyText(head.subarray(0, 1024))) {
    return 'a text file, not an audio file';
  }
  return 'not a recognised audio format';
}

function isMostlyText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  let printable = 0;
  for (const byte of bytes) {
    if (byte >= 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) {
      printable++;
    }
  }
  return printable / bytes.length > 0.95;
}
