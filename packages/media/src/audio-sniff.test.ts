import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mpegFrameLength, sniffAudio } from './audio-sniff';

const sniff = (bytes: Buffer) => sniffAudio(bytes, bytes.length);

test('container magic numbers are recognised', () => {
  const riff = Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1');
  assert.deepEqual(sniff(riff), { audio: true, container: 'wav' });
  const rifx = Buffer.from('RIFX\0\0\0\0WAVEfmt ', 'latin1');
  assert.deepEqual(sniff(rifx), { audio: true, container: 'wav' });
  const aiff = Buffer.from('FORM\0\0\0\0AIFCCOMM', 'latin1');
  assert.deepEqual(sniff(aiff), { audio: true, container: 'aiff' });
  const id3 = Buffer.from('ID3\x03\0\0\0\0\0\0', 'latin1');
  assert.deepEqual(sniff(id3), { audio: true, container: 'mp3' });
  const flac = Buffer.from('fLaC\0\0\0\x22', 'latin1');
  assert.deepEqual(sniff(flac), { audio: true, container: 'flac' });
  const m4a = Buffer.from('\0\0\0\x20ftypM4A ', 'latin1');
  assert.deepEqual(sniff(m4a), { audio: true, container: 'm4a' });
  const webm = Buffer.from('1a45dfa39f4286810142f7810142f2', 'hex');
  assert.deepEqual(sniff(webm), { audio: true, container: 'matroska' });
  const wma = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c0000', 'hex');
  assert.deepEqual(sniff(wma), { audio: true, container: 'wma' });
  // On the demuxer list all along, yet refused at upload as not audio.
  const au = Buffer.from('.snd\0\0\0\x18', 'latin1');
  assert.deepEqual(sniff(au), { audio: true, container: 'au' });
  const tta = Buffer.from('TTA1\x01\0\x02\0', 'latin1');
  assert.deepEqual(sniff(tta), { audio: true, container: 'tta' });
  const amr = Buffer.from('#!AMR\n\x3c', 'latin1');
  assert.deepEqual(sniff(amr), { audio: true, container: 'amr' });
});

test('BW64 is refused by name, not as no audio', () => {
  const bw64 = Buffer.from('BW64\xff\xff\xff\xffWAVEds64', 'latin1');
  const sniffed = sniff(bw64);
  assert.equal(sniffed.audio, false);
  assert.equal(!sniffed.audio && sniffed.unsupported, 'bw64');
  assert.match(!sniffed.audio ? sniffed.reason : '', /^BW64 \(broadcast wave 64\)/);
});

test('bare mpeg frames are found after junk, random 0xFFE is not', () => {
  // MPEG-1 layer III, 128 kb/s, 44.1 kHz, no padding: 417 bytes.
  const header = Buffer.from([0xff, 0xfb, 0x90, 0x00]);
  assert.equal(mpegFrameLength(header, 0), 417);
  const frame = Buffer.concat([header, Buffer.alloc(413)]);
  const file = Buffer.concat([Buffer.alloc(100), frame, frame, frame]);
  assert.deepEqual(sniff(file), { audio: true, container: 'mp3' });

  const lonely = Buffer.concat([Buffer.alloc(100, 1), header, Buffer.alloc(900, 1)]);
  assert.equal(sniff(lonely).audio, false);
});

test('empty, text, html and playlists are refused with a reason', () => {
  assert.deepEqual(sniffAudio(Buffer.alloc(0), 0), {
    audio: false,
    reason: 'the file is empty (0 bytes)',
  });
  const html = Buffer.from('<!DOCTYPE html><html><body>404</body></html>');
  assert.match(reasonOf(sniff(html)), /HTML/);
  const m3u = Buffer.from('#EXTM3U\n#EXTINF:3,\nsecret.mp3\n');
  assert.match(reasonOf(sniff(m3u)), /playlist/);
  assert.match(reasonOf(sniff(Buffer.from('hello world\n'))), /text file/);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0, 0]);
  assert.match(reasonOf(sniff(png)), /not a recognised audio format/);
});

function reasonOf(result: ReturnType<typeof sniffAudio>): string {
  return result.audio ? '' : result.reason;
}
