import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { readDeclaredSizedLength } from './sized-header';

// Headers built byte by byte, for the layouts ffmpeg does not write.

const dir = mkdtempSync(join(tmpdir(), 'sized-header-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function cafChunk(id: string, size: number, body: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.write(id, 0, 'latin1');
  header.writeBigInt64BE(BigInt(size), 4);
  return Buffer.concat([header, body]);
}

function cafDesc(rate: number, bytesPerPacket: number, frames: number) {
  const desc = Buffer.alloc(32);
  desc.writeDoubleBE(rate, 0);
  desc.write(bytesPerPacket ? 'lpcm' : 'alac', 8, 'latin1');
  desc.writeUInt32BE(bytesPerPacket, 16);
  desc.writeUInt32BE(frames, 20);
  return cafChunk('desc', 32, desc);
}

// 'caff', version 1, no flags.
const CAF_HEAD = Buffer.from('6361666600010000', 'hex');

test('CAF: fixed packets by data size, varying ones by packet table', async () => {
  const audio = Buffer.alloc(4 + 8000 * 4);
  const fixed = Buffer.concat([
    CAF_HEAD,
    cafDesc(8000, 4, 1),
    cafChunk('data', audio.length, audio),
  ]);
  assert.equal(await readDeclaredSizedLength(write('a.caf', fixed)), 1);

  // A streamer writes -1: the data runs to the end, nothing declared.
  const streamed = Buffer.concat([
    CAF_HEAD,
    cafDesc(8000, 4, 1),
    cafChunk('data', -1, audio),
  ]);
  assert.equal(await readDeclaredSizedLength(write('b.caf', streamed)), null);

  const table = Buffer.alloc(16);
  table.writeBigInt64BE(10n, 0);
  table.writeBigInt64BE(40_960n, 8);
  const varying = Buffer.concat([
    CAF_HEAD,
    cafDesc(8192, 0, 4096),
    cafChunk('data', 100, Buffer.alloc(100)),
    cafChunk('pakt', 16, table),
  ]);
  assert.equal(await readDeclaredSizedLength(write('c.caf', varying)), 5);
  // The same file cut before its packet table declares nothing.
  const cut = varying.subarray(0, varying.length - 28);
  assert.equal(await readDeclaredSizedLength(write('d.caf', cut)), null);
});

const W64_TAIL = 'f3acd3118cd100c04f8edb8a';

function w64Chunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(24);
  header.write(id, 0, 'latin1');
  Buffer.from(W64_TAIL, 'hex').copy(header, 4);
  header.writeBigUInt64LE(BigInt(24 + body.length), 16);
  const pad = Buffer.alloc((8 - (body.length % 8)) % 8);
  return Buffer.concat([header, body, pad]);
}

function w64(formatTag: number, chunks: Buffer[]): Buffer {
  const riff = Buffer.from('726966662e91cf11a5d628db04c10000', 'hex');
  const wave = Buffer.from(`77617665${W64_TAIL}`, 'hex');
  const fmt = Buffer.alloc(18);
  fmt.writeUInt16LE(formatTag, 0);
  fmt.writeUInt16LE(1, 2);
  fmt.writeUInt32LE(8000, 4);
  fmt.writeUInt32LE(4000, 8);
  fmt.writeUInt16LE(formatTag === 1 ? 2 : 256, 12);
  const body = Buffer.concat([wave, w64Chunk('fmt ', fmt), ...chunks]);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(24 + body.length));
  return Buffer.concat([riff, size, body]);
}

test('W64: frames by block size, or by fact for ADPCM', async () => {
  const pcm = w64(1, [w64Chunk('data', Buffer.alloc(16_000))]);
  assert.equal(await readDeclaredSizedLength(write('a.w64', pcm)), 1);

  const fact = Buffer.alloc(4);
  fact.writeUInt32LE(12_000);
  const adpcm = w64(0x11, [
    w64Chunk('fact', fact),
    w64Chunk('data', Buffer.alloc(4096)),
  ]);
  assert.equal(await readDeclaredSizedLength(write('b.w64', adpcm)), 1.5);

  const wav = Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1');
  assert.equal(await readDeclaredSizedLength(write('c.wav', wav)), null);
});
