import { readFile, writeFile } from 'node:fs/promises';

/**
 * Sources of formats the bundled ffmpeg reads but cannot write, built
 * byte by byte: DSD (DSF, DSDIFF) and the DTS-HD file around DTS frames.
 */

export interface DsdOptions {
  seconds: number;
  /** DSD rate in Hz; default 2822400 (DSD64, 64 × 44.1 kHz). */
  rate?: number;
}

const DSD64 = 2_822_400;
const CHANNELS = 2;

/**
 * One channel of a 440 Hz tone as DSD: first-order sigma-delta, one bit
 * a sample, most significant bit first, whole bytes.
 */
function dsdTone(samples: number, rate: number): Buffer {
  const bytes = Buffer.alloc(Math.floor(samples / 8));
  let sum = 0;
  let bit = 0;
  for (let i = 0; i < bytes.length * 8; i++) {
    sum += 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate) - (bit ? 1 : -1);
    bit = sum >= 0 ? 1 : 0;
    if (bit) bytes[i >> 3] |= 0x80 >> (i & 7);
  }
  return bytes;
}

function reverseBits(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    let b = bytes[i];
    let r = 0;
    for (let k = 0; k < 8; k++, b >>= 1) r = (r << 1) | (b & 1);
    out[i] = r;
  }
  return out;
}

/** A stereo DSF file (Sony's DSD Stream File) of a tone. */
export async function writeDsf(file: string, options: DsdOptions) {
  const rate = options.rate ?? DSD64;
  const samples = Math.floor((rate * options.seconds) / 8) * 8;
  const channel = reverseBits(dsdTone(samples, rate));
  // Channels alternate in blocks of 4096 bytes, the last one padded.
  const block = 4096;
  const blocks = Math.ceil(channel.length / block);
  const data = Buffer.alloc(blocks * block * CHANNELS);
  for (let b = 0; b < blocks; b++) {
    for (let c = 0; c < CHANNELS; c++) {
      channel.copy(data, (b * CHANNELS + c) * block, b * block, (b + 1) * block);
    }
  }

  const fmt = Buffer.alloc(52);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeBigUInt64LE(52n, 4);
  fmt.writeUInt32LE(1, 12); // version
  fmt.writeUInt32LE(0, 16); // format: plain DSD
  fmt.writeUInt32LE(2, 20); // channel type: stereo
  fmt.writeUInt32LE(CHANNELS, 24);
  fmt.writeUInt32LE(rate, 28);
  fmt.writeUInt32LE(1, 32); // bits per sample: least significant first
  fmt.writeBigUInt64LE(BigInt(samples), 36);
  fmt.writeUInt32LE(block, 44);
  const dataHeader = Buffer.alloc(12);
  dataHeader.write('data', 0, 'latin1');
  dataHeader.writeBigUInt64LE(BigInt(12 + data.length), 4);
  const head = Buffer.alloc(28);
  head.write('DSD ', 0, 'latin1');
  head.writeBigUInt64LE(28n, 4);
  head.writeBigUInt64LE(BigInt(28 + 52 + 12 + data.length), 12);
  await writeFile(file, Buffer.concat([head, fmt, dataHeader, data]));
  return file;
}

/** DSDIFF chunks: a 4-byte id, an 8-byte big-endian size, even length. */
function chunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.write(id, 0, 'latin1');
  header.writeBigUInt64BE(BigInt(body.length), 4);
  return Buffer.concat([header, body, Buffer.alloc(body.length % 2)]);
}

/** A stereo DSDIFF file (Philips' .dff), uncompressed DSD, of a tone. */
export async function writeDff(file: string, options: DsdOptions) {
  const rate = options.rate ?? DSD64;
  const channel = dsdTone(Math.floor(rate * options.seconds), rate);
  // Channels alternate byte by byte.
  const data = Buffer.alloc(channel.length * CHANNELS);
  for (let i = 0; i < channel.length; i++) {
    data.fill(channel[i], i * CHANNELS, (i + 1) * CHANNELS);
  }

  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const name = 'not compressed';
  const sound = Buffer.concat([
    Buffer.from('SND ', 'latin1'),
    chunk('FS  ', u32(rate)),
    chunk('CHNL', Buffer.from(`\0${String.fromCharCode(CHANNELS)}SLFTSRGT`, 'latin1')),
    chunk('CMPR', Buffer.from(`DSD ${String.fromCharCode(name.length)}${name}`, 'latin1')),
  ]);
  const form = Buffer.concat([
    Buffer.from('DSD ', 'latin1'),
    chunk('FVER', u32(0x01050000)),
    chunk('PROP', sound),
    chunk('DSD ', data),
  ]);
  await writeFile(file, chunk('FRM8', form));
  return file;
}

/**
 * A DTS-HD file (.dtshd) around a raw DTS stream of 512-sample frames,
 * as ffmpeg's dca encoder writes them, at `sampleRate`. Its AUPR-HDR
 * chunk declares the length: frames × 512 samples.
 */
export async function wrapDtsHd(dtsFile: string, file: string, sampleRate: number) {
  const frames = await readFile(dtsFile);
  const frameBytes = ((frames[5] & 3) << 12) | (frames[6] << 4) | (frames[7] >> 4);
  const count = Math.floor(frames.length / (frameBytes + 1));

  const aupr = Buffer.alloc(21);
  aupr.writeUIntBE(sampleRate, 3, 3);
  aupr.writeUInt32BE(count, 6);
  aupr.writeUInt16BE(512, 10); // samples per frame
  aupr.writeUIntBE(count * 512, 12, 5); // samples before encoding
  aupr.writeUInt16BE(0x0002, 17); // speaker mask: left and right
  await writeFile(
    file,
    Buffer.concat([
      dtsHdChunk('DTSHDHDR', Buffer.alloc(24)),
      dtsHdChunk('AUPR-HDR', aupr),
      dtsHdChunk('STRMDATA', frames),
    ]),
  );
  return file;
}

/** DTS-HD chunks: an 8-byte id and an 8-byte big-endian size. */
function dtsHdChunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.write(id, 0, 'latin1');
  header.writeBigUInt64BE(BigInt(body.length), 8);
  return Buffer.concat([header, body]);
}
