import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { MAX_ID3_FRAMES, MAX_ID3_PADDING_FRAMES } from './id3-frame-count';
import { readTags } from './tags-reader';

/**
 * The ID3 frame bound walks a tag as music-metadata does: to the tag's
 * end, whatever a zero byte or an extended header would suggest. It
 * stopped at the first frame starting with a zero byte (padding, by the
 * standard), and skipped a v2.3 extended header by 4 bytes more than
 * music-metadata does: either way the frames after went uncounted and
 * were all read, and 9.6 MB of padding alone cost 330 MB.
 */
const dir = mkdtempSync(join(tmpdir(), 'id3-walk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TXXX = Buffer.from('TXXX\0\0\0\x02\0\0\0a', 'latin1');
const FRAMES = `tags not read: more than ${MAX_ID3_FRAMES} ID3 frames`;

/** An ID3v2.3 tag of `body` (extended header and frames), `flags` set. */
function tag(body: Buffer[], flags = 0): Buffer {
  const bytes = Buffer.concat(body);
  const size = [21, 14, 7, 0].map((shift) => (bytes.length >> shift) & 0x7f);
  return Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 3, 0, flags, ...size]), bytes]);
}

const tooMany = () => Array.from({ length: MAX_ID3_FRAMES + 1 }, () => TXXX);

async function warningsOf(name: string, bytes: Buffer): Promise<string[]> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return (await readTags(path)).warnings;
}

test('frames after one that starts with a zero byte are counted', async () => {
  // An id of zeros with a body: music-metadata skips it and reads on.
  const zeroId = Buffer.from('\0\0\0\0\0\0\0\x02\0\0xx', 'latin1');
  assert.deepEqual(await warningsOf('zero id.mp3', tag([zeroId, ...tooMany()])), [FRAMES]);
});

test('frames after a v2.3 extended header are counted where they are read', async () => {
  // Its size, 16, is the whole extended header's: the frames follow it.
  const extended = Buffer.alloc(16);
  extended.writeUInt32BE(16);
  const bytes = tag([extended, ...tooMany()], 0x40);
  assert.deepEqual(await warningsOf('extended.mp3', bytes), [FRAMES]);
});

test('padding of more empty frames than any tagger leaves is not read', async () => {
  const padding = Buffer.alloc(10 * (MAX_ID3_PADDING_FRAMES + 1));
  assert.deepEqual(await warningsOf('padded.mp3', tag([TXXX, padding])), [
    `tags not read: more than ${MAX_ID3_PADDING_FRAMES} empty ID3 frames (padding)`,
  ]);
});

test("a tag's ordinary padding is read past as before", async () => {
  const title = Buffer.concat([
    Buffer.from('TIT2\0\0\0\x0b\0\0\0', 'latin1'),
    Buffer.from('Deep Water', 'latin1'),
  ]);
  const path = join(dir, 'titled.mp3');
  writeFileSync(path, tag([title, Buffer.alloc(64 * 1024)]));
  const read = await readTags(path);
  assert.equal(read.fields.Title, 'Deep Water');
  assert.ok(!read.warnings.some((w) => w.startsWith('tags not read')), String(read.warnings));
});
