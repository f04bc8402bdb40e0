import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { MAX_COMMENTS } from './flac-blocks';
import { oggCrc, oggPages, opusHead, opusTags } from './ogg-test-pages';
import { readTags } from './tags-reader';
import { ffmpeg } from './test-fixtures';

/**
 * The Ogg comment bound counts the comments music-metadata reads, where
 * it reads them. It read one packet: the second page's, joined to later
 * pages by their lacing, of a file whose first two pages are one
 * stream's. music-metadata joins pages by their flags, reads each stream
 * on its own (other streams' pages between), and reads every packet that
 * opens as a comment header until a page numbered past 12 comes.
 */
const dir = mkdtempSync(join(tmpdir(), 'ogg-walk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TOO_MANY = `tags not read: more than ${MAX_COMMENTS} Vorbis comments`;

async function warningsOf(name: string, pages: Buffer[]): Promise<string[]> {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(pages));
  return (await readTags(path)).warnings;
}

test('a comment header continued by page flags, not lacing, is held to the bound', async () => {
  const tags = opusTags(MAX_COMMENTS + 1, 2000);
  // Its first 1000 bytes on a page whose lacing ends a packet (235 < 255).
  const [first] = oggPages(tags.subarray(0, 1000), 1);
  const rest = oggPages(tags.subarray(1000), 2);
  rest[0][5] |= 1;
  rest[0].writeUInt32LE(0, 22);
  rest[0].writeUInt32LE(oggCrc(rest[0]), 22);
  const pages = [...oggPages(opusHead(), 0, true), first, ...rest];
  assert.deepEqual(await warningsOf('flagged pages.opus', pages), [TOO_MANY]);
});

test("a stream's comment header behind another stream's pages is held to the bound", async () => {
  const pages = [
    ...oggPages(opusHead(), 0, true, 8),
    ...oggPages(opusHead(), 0, true),
    ...oggPages(opusTags(1), 1, false, 8),
    ...oggPages(opusTags(MAX_COMMENTS + 1), 1),
  ];
  assert.deepEqual(await warningsOf('two streams.opus', pages), [TOO_MANY]);
});

test('comment headers one after another, too many comments in all, are held', async () => {
  // Page numbers held at 1: music-metadata reads on, each one it finds.
  const each = Math.ceil((MAX_COMMENTS + 1) / 4);
  const headers = Array.from({ length: 4 }, () => oggPages(opusTags(each), 1));
  const pages = [...oggPages(opusHead(), 0, true), ...headers.flat()];
  assert.deepEqual(await warningsOf('four headers.opus', pages), [TOO_MANY]);
});

test("a real Ogg Vorbis file's tags are read as before", async () => {
  const path = join(dir, 'tagged.ogg');
  ffmpeg([
    '-f', 'lavfi', '-i', 'sine=duration=3', '-c:a', 'libvorbis',
    '-metadata', 'title=Deep Water', path,
  ]);
  const read = await readTags(path);
  assert.deepEqual(read.warnings, []);
  assert.equal(read.fields.Title, 'Deep Water');
});
