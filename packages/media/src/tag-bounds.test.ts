import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { MAX_APE_ITEMS } from './ape-items';
import { MAX_COMMENTS, MAX_FLAC_BLOCKS } from './flac-blocks';
import { MAX_ID3_FRAMES } from './id3-frame-count';
import { MAX_ATOM_DEPTH, MAX_ATOMS } from './mp4-atoms';
import { ffmpeg } from './test-fixtures';
import { oggPages, opusHead, opusTags } from './ogg-test-pages';
import { readTags } from './tags-reader';

// An MP4 of a few MB whose atoms nest a million deep, or number a
// million, cost music-metadata gigabytes and many seconds in the gateway,
// a FLAC of a million empty metadata blocks 10 s (of three million
// one-byte comments 3.6 GB and minutes; an Ogg's, 900 MB and a minute),
// an ID3 tag of 800 000
// empty frames 250 MB: such files are not
// read for tags at all; a real file's tags still are.

const dir = mkdtempSync(join(tmpdir(), 'tag-bounds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FTYP = Buffer.concat([
  Buffer.from([0, 0, 0, 20]),
  Buffer.from('ftypM4A \0\0\0\0M4A ', 'latin1'),
]);

function atom(name: string, length: number): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(length);
  header.write(name, 4, 'latin1');
  return header;
}

function file(name: string, ...parts: Buffer[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([FTYP, ...parts]));
  return path;
}

test('atoms nested too deep or too many are not read for tags', async () => {
  const depth = MAX_ATOM_DEPTH + 8;
  const nested = Array.from({ length: depth }, (_, i) => atom('moov', 8 * (depth - i)));
  const deep = await readTags(file('deep.m4a', ...nested));
  assert.deepEqual(deep.fields, {});
  assert.deepEqual(deep.warnings, [
    `tags not read: MP4 atoms nested more than ${MAX_ATOM_DEPTH} deep`,
  ]);

  const count = MAX_ATOMS + 1;
  const siblings = Array.from({ length: count }, () => atom('free', 8));
  const many = await readTags(file('many.m4a', atom('moov', 8 + 8 * count), ...siblings));
  assert.deepEqual(many.warnings, [`tags not read: more than ${MAX_ATOMS} MP4 atoms`]);
});

test('a FLAC of more metadata blocks than any real one is not read for tags', async () => {
  const streamInfo = Buffer.concat([Buffer.from([0, 0, 0, 34]), Buffer.alloc(34)]);
  const empty = Buffer.alloc(4 * MAX_FLAC_BLOCKS);
  for (let i = 0; i < MAX_FLAC_BLOCKS; i++) empty[4 * i] = 1;
  const path = join(dir, 'many.flac');
  const last = Buffer.from([0x81, 0, 0, 0]);
  writeFileSync(path, Buffer.concat([Buffer.from('fLaC'), streamInfo, empty, last]));
  const tags = await readTags(path);
  const warning = `tags not read: more than ${MAX_FLAC_BLOCKS} FLAC metadata blocks`;
  assert.deepEqual(tags.warnings, [warning]);
});

test('a FLAC of more Vorbis comments than any real one is not read for tags', async () => {
  const count = MAX_COMMENTS + 1;
  const body = Buffer.alloc(8 + 4 + 5 * count);
  body.writeUInt32LE(1, 0);
  body.writeUInt32LE(count, 8);
  for (let i = 0; i < count; i++) {
    body.writeUInt32LE(1, 12 + 5 * i);
    body.write('a', 16 + 5 * i, 'latin1');
  }
  const header = Buffer.from([0x84, 0, 0, 0]);
  header.writeUIntBE(body.length, 1, 3);
  const streamInfo = Buffer.concat([Buffer.from([0, 0, 0, 34]), Buffer.alloc(34)]);
  const path = join(dir, 'many comments.flac');
  writeFileSync(path, Buffer.concat([Buffer.from('fLaC'), streamInfo, header, body]));
  const tags = await readTags(path);
  assert.deepEqual(tags.warnings, [`tags not read: more than ${MAX_COMMENTS} Vorbis comments`]);
});

test('an ID3 tag of more frames than any real one is not read for tags', async () => {
  const path = join(dir, 'many frames.mp3');
  writeFileSync(path, id3Tag(MAX_ID3_FRAMES + 1));
  const tags = await readTags(path);
  assert.deepEqual(tags.warnings, [`tags not read: more than ${MAX_ID3_FRAMES} ID3 frames`]);
});

/** An ID3v2.3 tag of `count` empty TXXX frames. */
function id3Tag(count: number): Buffer {
  const frame = Buffer.from('TXXX\0\0\0\x02\0\0\0a', 'latin1');
  const frames = Buffer.concat(Array.from({ length: count }, () => frame));
  const size = [21, 14, 7, 0].map((shift) => (frames.length >> shift) & 0x7f);
  return Buffer.concat([Buffer.from([...Buffer.from('ID3', 'latin1'), 3, 0, 0, ...size]), frames]);
}

// music-metadata reads every ID3v2 tag that follows another at the start
// of a file, and the tag of each `id3 ` chunk of a WAV (`ID3 ` of an
// AIFF): frames under the bound in each, over it in all, cost the same.
const SPLIT = 4;
const FRAMES_EACH = Math.ceil((MAX_ID3_FRAMES + 1) / SPLIT);

test('ID3 tags one after another, too many frames in all, are not read', async () => {
  const path = join(dir, 'stacked.mp3');
  writeFileSync(path, Buffer.concat(Array.from({ length: SPLIT }, () => id3Tag(FRAMES_EACH))));
  const tags = await readTags(path);
  assert.deepEqual(tags.warnings, [`tags not read: more than ${MAX_ID3_FRAMES} ID3 frames`]);
});

/** A RIFF WAVE or an AIFF of `chunks` (id, body), sizes in its byte order. */
function chunked(form: 'WAVE' | 'AIFF', chunks: Array<[string, Buffer]>): Buffer {
  const big = form === 'AIFF';
  const parts = chunks.map(([id, body]) => {
    const header = Buffer.alloc(8);
    header.write(id, 0, 'latin1');
    if (big) header.writeUInt32BE(body.length, 4);
    else header.writeUInt32LE(body.length, 4);
    return Buffer.concat([header, body, Buffer.alloc(body.length % 2)]);
  });
  const head = Buffer.alloc(12);
  head.write(big ? 'FORM' : 'RIFF', 0, 'latin1');
  const size = 4 + parts.reduce((sum, part) => sum + part.length, 0);
  if (big) head.writeUInt32BE(size, 4);
  else head.writeUInt32LE(size, 4);
  head.write(form, 8, 'latin1');
  return Buffer.concat([head, ...parts]);
}

test('ID3 chunks of a WAV or AIFF, too many frames in all, are not read', async () => {
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(1, 0);
  fmt.writeUInt16LE(1, 2);
  fmt.writeUInt32LE(8000, 4);
  fmt.writeUInt32LE(16000, 8);
  fmt.writeUInt16LE(2, 12);
  fmt.writeUInt16LE(16, 14);
  const id3 = Array.from({ length: SPLIT }, (): [string, Buffer] => ['id3 ', id3Tag(FRAMES_EACH)]);
  const wav = join(dir, 'id3 chunks.wav');
  writeFileSync(wav, chunked('WAVE', [['fmt ', fmt], ...id3, ['data', Buffer.alloc(1600)]]));
  const warning = `tags not read: more than ${MAX_ID3_FRAMES} ID3 frames`;
  assert.deepEqual((await readTags(wav)).warnings, [warning]);

  const comm = Buffer.alloc(18);
  comm.writeUInt16BE(1, 0);
  comm.writeUInt32BE(800, 2);
  comm.writeUInt16BE(16, 6);
  Buffer.from('400CFA00000000000000', 'hex').copy(comm, 8);
  const aiff = join(dir, 'id3 chunks.aiff');
  const tag: [string, Buffer] = ['ID3 ', id3Tag(MAX_ID3_FRAMES + 1)];
  const ssnd = Buffer.alloc(8 + 1600);
  writeFileSync(aiff, chunked('AIFF', [['COMM', comm], tag, ['SSND', ssnd]]));
  assert.deepEqual((await readTags(aiff)).warnings, [warning]);
});

test('a FLAC behind two ID3 tags is held to the FLAC block bound', async () => {
  const streamInfo = Buffer.concat([Buffer.from([0, 0, 0, 34]), Buffer.alloc(34)]);
  const empty = Buffer.alloc(4 * MAX_FLAC_BLOCKS);
  for (let i = 0; i < MAX_FLAC_BLOCKS; i++) empty[4 * i] = 1;
  const last = Buffer.from([0x81, 0, 0, 0]);
  const path = join(dir, 'tagged many.flac');
  const flac = [Buffer.from('fLaC'), streamInfo, empty, last];
  writeFileSync(path, Buffer.concat([id3Tag(1), id3Tag(1), ...flac]));
  const tags = await readTags(path);
  const warning = `tags not read: more than ${MAX_FLAC_BLOCKS} FLAC metadata blocks`;
  assert.deepEqual(tags.warnings, [warning]);
});

test('an Ogg declaring more comments than any real one is not read for tags', async () => {
  const path = join(dir, 'tagged.opus');
  ffmpeg([
    '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'libopus',
    '-metadata', 'title=Deep Water', path,
  ]);
  const bytes = readFileSync(path);
  assert.equal((await readTags(path)).fields.Title, 'Deep Water');

  // The count after OpusTags' vendor string, as a crafted file sets it.
  const at = bytes.indexOf('OpusTags', 0, 'latin1') + 8;
  bytes.writeUInt32LE(MAX_COMMENTS + 1, at + 4 + bytes.readUInt32LE(at));
  const crafted = join(dir, 'crafted.opus');
  writeFileSync(crafted, bytes);
  const tags = await readTags(crafted);
  assert.deepEqual(tags.warnings, [`tags not read: more than ${MAX_COMMENTS} Vorbis comments`]);
});

test('an Opus comment header over several pages is held to the bound', async () => {
  // A vendor string longer than a page: the count is on the next one.
  const tags = opusTags(MAX_COMMENTS + 1, 70_000);
  const path = join(dir, 'long vendor.opus');
  writeFileSync(path, Buffer.concat([...oggPages(opusHead(), 0, true), ...oggPages(tags, 1)]));
  const read = await readTags(path);
  assert.deepEqual(read.warnings, [`tags not read: more than ${MAX_COMMENTS} Vorbis comments`]);
});

/** An APEv2 tag of `count` one-byte items, its header or its footer. */
function apeTag(count: number, header: boolean): Buffer {
  const item = Buffer.from('\x01\0\0\0\0\0\0\0a\0x', 'latin1');
  const items = Buffer.concat(Array.from({ length: count }, () => item));
  const tag = Buffer.alloc(32);
  tag.write('APETAGEX', 0, 'latin1');
  tag.writeUInt32LE(2000, 8);
  tag.writeUInt32LE(items.length + 32, 12);
  tag.writeUInt32LE(count, 16);
  tag.writeUInt32LE(header ? 0xa0000000 : 0x80000000, 20);
  return header ? Buffer.concat([tag, items]) : Buffer.concat([items, tag]);
}

// music-metadata's time grows with the square of an APE tag's items:
// 40 000 took 35 s, 800 000 (9 MB) more than ten minutes.
test('an APE tag of more items than any real one is not read for tags', async () => {
  const mp3 = join(dir, 'tone.mp3');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1', mp3]);
  const id3v1 = Buffer.concat([Buffer.from('TAG', 'latin1'), Buffer.alloc(125)]);
  const warning = `tags not read: more than ${MAX_APE_ITEMS} APE tag items`;
  for (const [name, tail] of [
    ['ape at end.mp3', [apeTag(MAX_APE_ITEMS + 1, false)]],
    ['ape before id3v1.mp3', [apeTag(MAX_APE_ITEMS + 1, false), id3v1]],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat([readFileSync(mp3), ...tail]));
    assert.deepEqual((await readTags(path)).warnings, [warning], name);
  }

  // WavPack: a tag header right after the audio blocks, no footer.
  const wv = join(dir, 'tone.wv');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'wavpack', wv]);
  // ffmpeg tags it (encoder): its blocks only, then the crafted tag.
  const blocks = readFileSync(wv);
  const ownTag = blocks.indexOf('APETAGEX', 0, 'latin1');
  const audio = ownTag < 0 ? blocks : blocks.subarray(0, ownTag);
  const crafted = join(dir, 'ape header.wv');
  writeFileSync(crafted, Buffer.concat([audio, apeTag(MAX_APE_ITEMS + 1, true)]));
  assert.deepEqual((await readTags(crafted)).warnings, [warning]);
});

// Musepack: music-metadata reads a tag where the audio ends (after an SV8
// stream's end packet, an SV7 stream's bit-packed frames), with no footer
// at the file's end: 20 000 items there took it 9 s.
test('an APE tag of too many items after Musepack audio is not read for tags', async () => {
  const sv8 = Buffer.from('MPCKSE\x03', 'latin1');
  // SV7: its 24-byte header of no frames, then the last frame's length.
  const sv7 = Buffer.concat([Buffer.from('MP+\x07', 'latin1'), Buffer.alloc(24)]);
  const id3 = Buffer.concat([Buffer.from('ID3\x03', 'latin1'), Buffer.alloc(6)]);
  const junk = Buffer.alloc(64, 0x55);
  const warning = `tags not read: more than ${MAX_APE_ITEMS} APE tag items`;
  for (const [name, stream] of [
    ['sv8', [sv8]],
    ['sv7', [sv7]],
    ['id3 then sv8', [id3, sv8]],
  ] as const) {
    const path = join(dir, `musepack ${name}`);
    writeFileSync(path, Buffer.concat([...stream, apeTag(MAX_APE_ITEMS + 1, true), junk]));
    assert.deepEqual((await readTags(path)).warnings, [warning], name);
  }
  // One of real size is read there as before.
  const path = join(dir, 'musepack titled');
  writeFileSync(path, Buffer.concat([sv8, titleTag('Deep Water'), junk]));
  const read = await readTags(path);
  assert.deepEqual(read.warnings, []);
  assert.equal(read.fields.Title, 'Deep Water');
});

// Monkey's Audio: music-metadata takes any header for a 3.98 one and
// skips its fixed 24-byte APE_HEADER, whatever headerBytes says, and
// no frame bytes past 4 GiB; WavPack's reader, chosen by a `.wv` name,
// reads a tag at the start when no block is there.
test("an APE tag of too many items where Monkey's Audio or WavPack reads it", async () => {
  const descriptor = Buffer.alloc(52);
  descriptor.write('MAC ', 0, 'latin1');
  descriptor.writeUInt32LE(3990, 4);
  descriptor.writeUInt32LE(52, 8);
  const header = Buffer.alloc(24);
  const highFrames = Buffer.from(descriptor);
  highFrames.writeUInt32LE(24, 12);
  highFrames.writeUInt32LE(1, 28);
  const junk = Buffer.alloc(64, 0x55);
  const warning = `tags not read: more than ${MAX_APE_ITEMS} APE tag items`;
  for (const [name, start] of [
    ['mac no header bytes', [descriptor, header]],
    ['mac frames past 4 GiB', [highFrames, header]],
    ['no blocks.wv', []],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat([...start, apeTag(MAX_APE_ITEMS + 1, true), junk]));
    assert.deepEqual((await readTags(path)).warnings, [warning], name);
  }
  // A real WavPack file's tags are read as before.
  const wv = join(dir, 'titled.wv');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1', '-metadata', 'title=Deep Water', wv]);
  const read = await readTags(wv);
  assert.deepEqual(read.warnings, []);
  assert.equal(read.fields.Title, 'Deep Water');
});

/** An APEv2 tag (its header, then its one item) holding a Title. */
function titleTag(title: string): Buffer {
  const value = Buffer.from(title, 'latin1');
  const item = Buffer.concat([Buffer.alloc(8), Buffer.from('Title\0', 'latin1'), value]);
  item.writeUInt32LE(value.length, 0);
  const tag = apeTag(0, true);
  tag.writeUInt32LE(item.length + 32, 12);
  tag.writeUInt32LE(1, 16);
  return Buffer.concat([tag, item]);
}

test("a real m4a's tags are read as before", async () => {
  const path = join(dir, 'tagged.m4a');
  ffmpeg([
    '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac',
    '-metadata', 'title=Deep Water', '-metadata', 'artist=Nobody', path,
  ]);
  const tags = await readTags(path);
  assert.deepEqual(tags.warnings, []);
  assert.equal(tags.fields.Title, 'Deep Water');
  assert.equal(tags.fields.Artist, 'Nobody');
});
