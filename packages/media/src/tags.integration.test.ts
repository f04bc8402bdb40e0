import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { fieldOfTagKey } from './custom-tag-keys';
import { createMediaTools, defaultBinaryPaths, readTags } from './index';
import { ffmpeg } from './test-fixtures';

// Tags written by the real ffmpeg (or by hand) and read back.

const tools = createMediaTools();
let dir = '';
const at = (name: string) => join(dir, name);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tags-reader-'));
  ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'pcm_s16le', at('tone.wav')]);
  ffmpeg([
    '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'libmp3lame',
    '-id3v2_version', '0', at('bare.mp3'),
  ]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const SLASHED = {
  Title: 'Either/Or',
  Artist: 'AC/DC',
  Composer: 'Lennon/McCartney',
  Genre: 'Duo Cello/Piano',
  Label: 'A/B Records',
  Description: 'one/two',
  Lyrics: 'up/down',
  'Custom: Ext/ID': 'x/y',
};

test('an ID3v2.3 source keeps "/" in artist, composer and TXXX', () => {
  ffmpeg([
    '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'libmp3lame',
    '-id3v2_version', '3', '-metadata', 'artist=AC/DC',
    '-metadata', 'composer=Lennon / McCartney',
    '-metadata', 'DESCRIPTION=Björk/夏', at('v23.mp3'),
  ]);
  return readTags(at('v23.mp3')).then(({ fields }) => {
    assert.equal(fields.Artist, 'AC/DC');
    assert.equal(fields.Composer, 'Lennon / McCartney');
    assert.equal(fields.Description, 'Björk/夏');
  });
});

test('renditions (ID3v2.3 mp3 and aiff, flac) read back whole', async () => {
  await tools.transcode({
    source: at('tone.wav'),
    metadata: SLASHED,
    renditions: [
      { format: 'mp3', path: at('out.mp3') },
      { format: 'aiff', path: at('out.aiff') },
      { format: 'flac', path: at('out.flac') },
    ],
  });
  for (const name of ['out.mp3', 'out.aiff', 'out.flac']) {
    const { fields } = await readTags(at(name));
    for (const field of Object.keys(SLASHED)) {
      if (field.startsWith('Custom: ')) continue;
      const want = SLASHED[field as keyof typeof SLASHED];
      assert.equal(fields[field as keyof typeof fields], want, `${name} ${field}`);
    }
  }
});

function id3Frame(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header.write(id, 'latin1');
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** An ID3v2.3 text frame of UTF-16 strings, each with its own BOM. */
function utf16Frame(id: string, ...strings: string[]): Buffer {
  const text = strings.map((s) =>
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]),
  );
  const parts = text.flatMap((t, i) => (i ? [Buffer.alloc(2), t] : [t]));
  return id3Frame(id, Buffer.concat([Buffer.from([1]), ...parts]));
}

function id3v23(frames: Buffer[]): Buffer {
  const body = Buffer.concat([...frames, Buffer.alloc(16)]);
  const header = Buffer.from('ID3\u0003\u0000\u0000\u0000\u0000\u0000\u0000', 'latin1');
  let size = body.length;
  for (let i = 9; i >= 6; i--) {
    header[i] = size & 0x7f;
    size >>= 7;
  }
  return Buffer.concat([header, body]);
}

/** bare.mp3 with this ID3v2.3 tag in front. */
function taggedMp3(name: string, frames: Buffer[]): string {
  writeFileSync(at(name), Buffer.concat([id3v23(frames), readFileSync(at('bare.mp3'))]));
  return at(name);
}

test('several values in one v2.3 frame and a UTF-16 TXXX', async () => {
  const frames = [
    utf16Frame('TPE1', 'Simon/Garfunkel', 'Ñandú'),
    utf16Frame('TXXX', 'MOOD', 'calm/warm'),
  ];
  const { fields } = await readTags(taggedMp3('multi.mp3', frames));
  assert.equal(fields.Artist, 'Simon/Garfunkel; Ñandú');
  assert.equal(fields.Mood, 'calm/warm');
});

/** An ID3v2.4 text frame of UTF-8 text (NULs separate values). */
function utf8Frame24(id: string, text: string): Buffer {
  const body = Buffer.concat([Buffer.from([3]), Buffer.from(text, 'utf8')]);
  const frame = id3Frame(id, body);
  let size = body.length; // v2.4 frame sizes are syncsafe
  for (let i = 7; i >= 4; i--) {
    frame[i] = size & 0x7f;
    size >>= 7;
  }
  return frame;
}

test('NUL-separated values of a v2.4 frame are joined in every field', async () => {
  const tag = id3v23([
    utf8Frame24('TIT2', 'One\0Two'),
    utf8Frame24('TALB', 'Alb1\0Alb2'),
    utf8Frame24('TPE1', 'Ann\0Bo'),
    utf8Frame24('TCOM', 'Cy\0Di'),
    utf8Frame24('TCON', 'Rock\0Jazz'),
    utf8Frame24('TCOP', 'c1\0c2'),
  ]);
  tag[3] = 4;
  writeFileSync(at('v24.mp3'), Buffer.concat([tag, readFileSync(at('bare.mp3'))]));
  const { fields } = await readTags(at('v24.mp3'));
  assert.equal(fields.Title, 'One; Two');
  assert.equal(fields.Album, 'Alb1; Alb2');
  assert.equal(fields.Artist, 'Ann; Bo');
  assert.equal(fields.Composer, 'Cy; Di');
  assert.equal(fields.Genre, 'Rock; Jazz');
  assert.equal(fields.Copyright, 'c1; c2');
});

/** The tags ffprobe sees in a file, container's and streams', by key. */
function probedTags(file: string): Record<string, string> {
  const { ffprobePath } = defaultBinaryPaths();
  const probe = spawnSync(ffprobePath, [
    '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file,
  ]);
  const json = JSON.parse(probe.stdout.toString()) as {
    format: { tags?: Record<string, string> };
    streams: Array<{ tags?: Record<string, string> }>;
  };
  return Object.assign({}, ...json.streams.map((s) => s.tags), json.format.tags);
}

const CUSTOMS = {
  'Custom: Код': 'code',
  'Custom: Имя': 'name',
  'Custom: Ext=ID': 'equals',
  'Custom: Ext ID': 'space',
  'Custom: EXT ID': 'upper',
};

test('every custom field gets a key of its own in mp3, aiff and flac', async () => {
  await tools.transcode({
    source: at('tone.wav'),
    metadata: CUSTOMS,
    renditions: [
      { format: 'mp3', path: at('custom.mp3') },
      { format: 'aiff', path: at('custom.aiff') },
      { format: 'flac', path: at('custom.flac') },
    ],
  });
  for (const name of ['custom.mp3', 'custom.aiff', 'custom.flac']) {
    const found: Record<string, string> = {};
    for (const [key, value] of Object.entries(probedTags(at(name)))) {
      if (key.startsWith('Custom: ')) found[fieldOfTagKey(key)] = value;
    }
    assert.deepEqual(found, CUSTOMS, name);
  }
});

test('a cover that is no image is left out, the mp3 is still made', async () => {
  // APIC says image/jpeg, but holds 3000 random bytes.
  const apic = Buffer.concat([
    Buffer.from('\u0000image/jpeg\u0000\u0003\u0000', 'latin1'),
    randomBytes(3000),
  ]);
  const source = taggedMp3('noise-cover.mp3', [
    utf16Frame('TIT2', 'Noise'),
    id3Frame('APIC', apic),
  ]);
  const probe = await tools.probeSource(source);
  assert.equal(probe.hasCover, true);
  assert.equal(probe.cover, null);

  const result = await tools.transcode({
    source,
    renditions: [
      { format: 'mp3', path: at('noise-out.mp3') },
      { format: 'flac', path: at('noise-out.flac') },
    ],
  });
  assert.deepEqual(result.renditions.map((r) => r.format).sort(), ['flac', 'mp3']);
  assert.equal((await tools.probeSource(at('noise-out.mp3'))).hasCover, false);
});

test('Copyright and the asked-for custom fields read back', async () => {
  const meta = {
    Title: 'Round trip',
    Copyright: '© 2024 Ünïcödé/Records',
    ...CUSTOMS,
    'Custom: Not asked': 'skipped',
  };
  await tools.transcode({
    source: at('tone.wav'),
    metadata: meta,
    renditions: [
      { format: 'mp3', path: at('back.mp3') },
      { format: 'aiff', path: at('back.aiff') },
      { format: 'flac', path: at('back.flac') },
      { format: 'wav', path: at('back.wav') },
    ],
  });
  // RIFF INFO holds Copyright (ICOP) but no free-form names.
  const wav = await readTags(at('back.wav'), { customFields: ['Ext ID'] });
  assert.equal(wav.fields.Copyright, meta.Copyright);
  assert.deepEqual(wav.custom, {});
  const customFields = Object.keys(CUSTOMS).map((f) => f.slice(8));
  for (const name of ['back.mp3', 'back.aiff', 'back.flac']) {
    const tags = await readTags(at(name), { customFields });
    assert.equal(tags.fields.Copyright, meta.Copyright, name);
    assert.deepEqual(tags.custom, CUSTOMS, name);
  }
  assert.deepEqual((await readTags(at('back.mp3'))).custom, {});

  // AIFF text chunks are ASCII: Copyright is in the ID3 chunk only.
  const aiff = readFileSync(at('back.aiff'));
  assert.equal(aiff.includes('(c) '), false);
  assert.equal(probedTags(at('back.aiff')).copyright, meta.Copyright);
});

test("RIFF INFO's ISRC (the source) is read as ISRC only when it is one", async () => {
  const tagged = (name: string, value: string) => {
    ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.5', '-metadata', `ISRC=${value}`, at(name)]);
    return readTags(at(name));
  };
  const source = await tagged('riff-source.wav', 'Foo Bar');
  assert.equal(source.fields.ISRC, undefined);
  const code = await tagged('riff-isrc.wav', 'USRC17607839');
  assert.equal(code.fields.ISRC, 'USRC17607839');
});
