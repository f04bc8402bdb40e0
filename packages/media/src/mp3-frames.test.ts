import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { hasOneBitrate, readMp3Frames } from './mp3-frames';

const dir = mkdtempSync(join(tmpdir(), 'mp3-frames-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// MPEG-1 Layer III, 44.1 kHz, no CRC; bitrate index 14 is 320k, 9 128k;
// mono (channel mode 3) unless stereo.
function frame(index: 14 | 9, stereo = false): Buffer {
  const bytes = Math.floor((144 * (index === 14 ? 320_000 : 128_000)) / 44_100);
  const body = Buffer.alloc(bytes);
  body.writeUInt32BE((0xfffb0000 | (index << 12) | (stereo ? 0 : 0x0c0)) >>> 0);
  return body;
}

function file(name: string, ...parts: Buffer[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

// An ID3v2.3 tag of 100 bytes after its header (sizes are 7 bits a byte).
const ID3 = Buffer.concat([
  Buffer.from('ID3', 'latin1'),
  Buffer.from([3, 0, 0, 0, 0, 0, 100]),
  Buffer.alloc(100),
]);
const ID3V1 = Buffer.concat([Buffer.from('TAG', 'latin1'), Buffer.alloc(125)]);

test('one bitrate in every frame, after a tag and before a trailing one', async () => {
  const cbr = file('cbr.mp3', ID3, frame(14), frame(14), frame(14), ID3V1);
  assert.equal(await hasOneBitrate(cbr), true);
});

test('a frame of another bitrate anywhere makes it false', async () => {
  const joined = file('joined.mp3', ID3, frame(14), frame(14), frame(9));
  assert.equal(await hasOneBitrate(joined), false);
});

test('no frame where one should start: nothing to say', async () => {
  assert.equal(await hasOneBitrate(file('junk.mp3', ID3, ID3V1)), null);
  assert.equal(await hasOneBitrate(file('tiny.mp3', Buffer.from('ID'))), null);
});

test('bytes that are no frame hide none of the frames after them', async () => {
  const stray = Buffer.from([0x00]);
  const between = file('between.mp3', ID3, frame(14), frame(14), stray, frame(9));
  assert.equal(await hasOneBitrate(between), false);
  const before = file('before.mp3', Buffer.from('JUNK'), frame(14), frame(9));
  assert.equal(await hasOneBitrate(before), false);
  // A joined part's own ID3v2 tag is passed over the same way.
  const tagged = file('tagged.mp3', ID3, frame(14), ID3, frame(14), ID3V1);
  assert.equal(await hasOneBitrate(tagged), true);
});

test('a sync pattern in a trailing tag is no frame', async () => {
  const fake = Buffer.alloc(128);
  fake.writeUInt32BE(frame(9).readUInt32BE(0), 40);
  const cbr = file('fake-sync.mp3', frame(14), frame(14), fake);
  assert.equal(await hasOneBitrate(cbr), true);
});

test('mono frames, then stereo ones, change the format; a bitrate does not', async () => {
  const joined = file('mono-stereo.mp3', ID3, frame(14), frame(14, true), ID3V1);
  assert.deepEqual(await readMp3Frames(joined), { oneBitrate: true, formatChanges: true });
  const vbr = file('vbr.mp3', frame(14, true), frame(9, true));
  assert.deepEqual(await readMp3Frames(vbr), { oneBitrate: false, formatChanges: false });
});
