import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sniffAudio } from './audio-sniff';
import { ac3FrameLength, dtsFrameLength } from './surround-frames';

const sniff = (bytes: Buffer) => sniffAudio(bytes, bytes.length);

// AC-3 at 48 kHz, 192 kb/s (frmsizecod 20), bsid 8: 768 bytes.
const AC3 = Buffer.from('0b77fe95144043e1', 'hex');
// E-AC-3, frmsiz 383 (768 bytes), bsid 16.
const EAC3 = Buffer.from('0b77017f3487c000', 'hex');
// DTS core: 16 blocks of 32 samples, 1884 bytes.
const DTS = Buffer.from('7ffe8001fc3c75b0', 'hex');

const frames = (header: Buffer, length: number, count: number) =>
  Buffer.concat(
    Array.from({ length: count }, () =>
      Buffer.concat([header, Buffer.alloc(length - header.length, 0x55)]),
    ),
  );

test('frame lengths are read from AC-3, E-AC-3 and DTS headers', () => {
  const pad = (header: Buffer) => Buffer.concat([header, Buffer.alloc(8)]);
  assert.equal(ac3FrameLength(pad(AC3), 0), 768);
  assert.equal(ac3FrameLength(pad(EAC3), 0), 768);
  assert.equal(dtsFrameLength(pad(DTS), 0), 1884);
  // 44.1 kHz, 32 kb/s, odd code: 70 words with the padding word.
  const at441 = Buffer.from('0b770000414043e10000000000', 'hex');
  assert.equal(ac3FrameLength(at441, 0), 140);
});

test('a chain of frames after junk is a raw stream', () => {
  const junk = Buffer.alloc(37, 0x11);
  assert.deepEqual(sniff(Buffer.concat([junk, frames(AC3, 768, 4)])), {
    audio: true,
    container: 'ac3',
  });
  assert.deepEqual(sniff(frames(EAC3, 768, 2)), { audio: true, container: 'eac3' });
  assert.deepEqual(sniff(frames(DTS, 1884, 5)), { audio: true, container: 'dts' });
});

test('one frame, or sync words where no frame ends, are not', () => {
  const junk = Buffer.alloc(5000, 0x11);
  const one = Buffer.concat([junk.subarray(0, 10), frames(AC3, 768, 1), junk]);
  assert.equal(sniff(one).audio, false);
  // Frames whose successor starts one byte late.
  const late = Buffer.concat([frames(DTS, 1885, 4), Buffer.alloc(100, 0x11)]);
  assert.equal(sniff(late).audio, false);
  const alone = frames(AC3, 768, 1);
  assert.equal(sniff(alone).audio, false);
});

test('TrueHD, MLP, DTS-HD, DSF and DSDIFF are known by their first bytes', () => {
  const cases: Array<[string, string]> = [
    ['8037ffd8f8726fba00008001', 'truehd'],
    ['8037ffd8f8726fbb0f0f0001', 'mlp'],
    [Buffer.from('DTSHDHDR\0\0\0\0\0\0\0\x18').toString('hex'), 'dtshd'],
    [Buffer.from(`DSD \x1c${'\0'.repeat(23)}fmt 4\0\0\0`, 'latin1').toString('hex'), 'dsf'],
    [Buffer.from('FRM8\0\0\0\0\0\0\x10\0DSD FVER', 'latin1').toString('hex'), 'dff'],
  ];
  for (const [hex, container] of cases) {
    assert.deepEqual(sniff(Buffer.from(hex, 'hex')), { audio: true, container });
  }
  // The same demuxer reads Amiga pictures: those stay out.
  const ilbm = Buffer.from('FORM\0\0\0\x40ILBMBMHD', 'latin1');
  assert.equal(sniff(ilbm).audio, false);
  const frm8 = Buffer.from('FRM8\0\0\0\0\0\0\x10\0ILBMBMHD', 'latin1');
  assert.equal(sniff(frm8).audio, false);
});
