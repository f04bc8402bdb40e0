import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';

import { createMediaTools, looksLikeAudio, readTags } from './index';
import { byFormat, ffmpeg, useFixtures } from './test-fixtures';

// Real ffmpeg/ffprobe on fixtures generated at test time.

const tools = createMediaTools();
const bed = useFixtures();
const { out } = bed;

const META = {
  Title: '夜明けのスキャット',
  Artist: 'Émilie Ça Va Öberg',
  Album: 'Été',
  Composer: 'Zoë',
  Genre: 'Kayōkyoku',
  'Track Number': '3/12',
  'Release Date': '2021-05-03',
  ISRC: 'USRC17607839',
  BPM: '120',
  Publisher: 'Pub ltd',
  Label: 'Label ltd',
  Catalog: 'CAT-001',
  Description: 'desc = with equals',
  Lyrics: 'line one\nline two',
};

test('looksLikeAudio accepts containers, refuses empty/text/playlist', async () => {
  for (const path of [bed.f.wav16, bed.f.mp3WithCover, bed.f.flac24, bed.f.truncatedWav]) {
    assert.equal((await looksLikeAudio(path)).audio, true, path);
  }
  assert.deepEqual(await looksLikeAudio(bed.f.zero), {
    audio: false,
    reason: 'the file is empty (0 bytes)',
  });
  assert.match(JSON.stringify(await looksLikeAudio(bed.f.text)), /text file/);
  assert.match(JSON.stringify(await looksLikeAudio(bed.f.playlist)), /playlist/);
});

test('probeSource reports format, depth, header duration, cover', async () => {
  const wav = await tools.probeSource(bed.f.wav16);
  assert.equal(wav.container, 'wav');
  assert.equal(wav.outputFormat, 'wav');
  assert.deepEqual(
    [wav.audio?.codec, wav.audio?.sampleRate, wav.audio?.channels],
    ['pcm_s16le', 44_100, 2],
  );
  assert.equal(wav.audio?.bitDepth, 16);
  assert.equal(wav.headerDurationS, 3);
  assert.equal(wav.headerDurationReliable, true);
  assert.equal(wav.hasCover, false);

  const hi = await tools.probeSource(bed.f.wav24hi);
  assert.deepEqual([hi.audio?.bitDepth, hi.audio?.sampleKind], [24, 'int']);
  const float = await tools.probeSource(bed.f.wavFloat);
  assert.deepEqual(
    [float.audio?.bitDepth, float.audio?.sampleKind],
    [32, 'float'],
  );
  const u8 = await tools.probeSource(bed.f.wav8kU8);
  assert.deepEqual([u8.audio?.bitDepth, u8.audio?.channels], [8, 1]);

  const flac = await tools.probeSource(bed.f.flac24);
  assert.deepEqual([flac.container, flac.audio?.bitDepth], ['flac', 24]);
  assert.equal(flac.headerDurationReliable, true);

  const mp3 = await tools.probeSource(bed.f.mp3WithCover);
  assert.equal(mp3.container, 'mp3');
  assert.equal(mp3.audio?.sampleKind, 'lossy');
  assert.equal(mp3.hasCover, true);
  assert.equal(mp3.cover?.codec, 'mjpeg');
  assert.ok((mp3.bitrate ?? 0) > 100_000);

  const cut = await tools.probeSource(bed.f.truncatedWav);
  assert.equal(cut.headerDurationS, 10);
  assert.equal(cut.headerDurationReliable, true);
});

test('one pass writes all four formats, verified, tags round-trip', async () => {
  const result = await tools.transcode({
    source: bed.f.wav16,
    metadata: META,
    renditions: [
      { format: 'mp3', path: out('a.mp3') },
      { format: 'wav', path: out('a.wav') },
      { format: 'aiff', path: out('a.aiff') },
      { format: 'flac', path: out('a.flac') },
    ],
  });
  assert.ok(Math.abs(result.source.decodedDurationS - 3) < 0.002);

  const mp3 = byFormat(result, 'mp3');
  assert.deepEqual(
    [mp3.codec, mp3.sampleRate, mp3.channels, mp3.bitrate, mp3.bitDepth],
    ['mp3', 44_100, 2, 320_000, null],
  );
  assert.ok(Math.abs(mp3.durationS - 3) <= 0.05, `${mp3.durationS}`);
  assert.match(mp3.sha256, /^[0-9a-f]{64}$/);
  assert.ok(mp3.bytes > 100_000);

  for (const format of ['wav', 'aiff', 'flac']) {
    const r = byFormat(result, format);
    assert.deepEqual([r.sampleRate, r.channels, r.bitDepth], [44_100, 2, 16]);
    assert.ok(Math.abs(r.durationS - 3) < 0.002, `${format} ${r.durationS}`);
  }
  assert.equal(byFormat(result, 'wav').codec, 'pcm_s16le');
  assert.equal(byFormat(result, 'aiff').codec, 'pcm_s16be');

  // ID3v2.3 in mp3 and AIFF, Vorbis comments in flac: every field back.
  for (const name of ['a.mp3', 'a.aiff', 'a.flac']) {
    const tags = await readTags(out(name));
    assert.deepEqual(tags.fields, META, name);
  }
  // RIFF INFO holds a subset.
  const wavTags = (await readTags(out('a.wav'))).fields;
  assert.equal(wavTags.Title, META.Title);
  assert.equal(wavTags.Artist, META.Artist);
  assert.equal(wavTags.Album, META.Album);
});

test('96k/24-bit: mp3 at 48 kHz, lossless keeps 96 kHz/24-bit', async () => {
  const result = await tools.transcode({
    source: bed.f.wav24hi,
    renditions: [
      { format: 'mp3', path: out('hi.mp3') },
      { format: 'flac', path: out('hi.flac') },
      { format: 'wav', path: out('hi.wav') },
    ],
  });
  assert.equal(byFormat(result, 'mp3').sampleRate, 48_000);
  const flac = byFormat(result, 'flac');
  assert.deepEqual([flac.sampleRate, flac.bitDepth], [96_000, 24]);
  const wav = byFormat(result, 'wav');
  assert.deepEqual([wav.codec, wav.bitDepth], ['pcm_s24le', 24]);
});

test('float becomes 24-bit, 8-bit becomes 16, 8 kHz mp3 goes to 44.1', async () => {
  const float = await tools.transcode({
    source: bed.f.wavFloat,
    renditions: [
      { format: 'wav', path: out('bed.f.wav') },
      { format: 'aiff', path: out('bed.f.aiff') },
      { format: 'mp3', path: out('bed.f.mp3') },
    ],
  });
  assert.equal(byFormat(float, 'wav').codec, 'pcm_s24le');
  assert.equal(byFormat(float, 'aiff').codec, 'pcm_s24be');
  assert.equal(byFormat(float, 'mp3').sampleRate, 48_000);

  const u8 = await tools.transcode({
    source: bed.f.wav8kU8,
    renditions: [
      { format: 'wav', path: out('u8.wav') },
      { format: 'mp3', path: out('u8.mp3') },
    ],
  });
  const wav = byFormat(u8, 'wav');
  assert.deepEqual(
    [wav.codec, wav.sampleRate, wav.channels],
    ['pcm_s16le', 8000, 1],
  );
  const mp3 = byFormat(u8, 'mp3');
  assert.deepEqual([mp3.sampleRate, mp3.channels], [44_100, 1]);
});

test('cover goes into the mp3 as APIC and never into lossless', async () => {
  const result = await tools.transcode({
    source: bed.f.mp3WithCover,
    metadata: { Title: 'Ünïcödé' },
    renditions: [
      { format: 'mp3', path: out('c.mp3') },
      { format: 'flac', path: out('c.flac') },
      { format: 'wav', path: out('c.wav') },
      { format: 'aiff', path: out('c.aiff') },
    ],
  });
  assert.equal(result.renditions.length, 4);

  const mp3Tags = await readTags(out('c.mp3'));
  assert.equal(mp3Tags.cover?.mime, 'image/jpeg');
  assert.equal(mp3Tags.fields.Title, 'Ünïcödé');
  // Source tags are replaced by the given metadata, not merged.
  assert.equal(mp3Tags.fields.Artist, undefined);
  assert.equal((await tools.probeSource(out('c.mp3'))).hasCover, true);

  for (const name of ['c.flac', 'c.wav', 'c.aiff']) {
    const probe = await tools.probeSource(out(name));
    assert.equal(probe.hasCover, false, name);
    assert.equal((await readTags(out(name))).cover, null, name);
  }

  const none = await tools.transcode({
    source: bed.f.mp3WithCover,
    cover: 'none',
    renditions: [{ format: 'mp3', path: out('nocover.mp3') }],
  });
  assert.equal(none.renditions.length, 1);
  assert.equal((await readTags(out('nocover.mp3'))).cover, null);
});

test('a 320 kb/s mp3 source is the mp3 rendition as it is, with new tags', async () => {
  // The same 2 s recording as 48 kHz float WAV and as a 320k mp3.
  const result = await tools.transcode({
    source: bed.f.wavFloat,
    cover: { path: bed.f.coverJpeg },
    metadata: { Title: 'Copied' },
    renditions: [
      { format: 'mp3', path: out('copy.mp3'), sourcePath: bed.f.mp3Cbr320 },
      { format: 'flac', path: out('copy.flac') },
    ],
  });
  const mp3 = byFormat(result, 'mp3');
  assert.equal(mp3.streamCopy, true);
  assert.equal(mp3.bitrate, 320_000);
  assert.equal(mp3.sampleRate, 48_000);
  assert.ok(Math.abs(mp3.durationS - 2) <= 0.05, `${mp3.durationS}`);
  assert.equal(result.formatSources.length, 1);
  assert.ok(Math.abs(byFormat(result, 'flac').durationS - 2) < 0.002);
  const tags = await readTags(out('copy.mp3'));
  assert.equal(tags.fields.Title, 'Copied');
  assert.equal(tags.cover?.mime, 'image/jpeg');

  // As the only source too.
  const alone = await tools.transcode({
    source: bed.f.mp3Cbr320,
    renditions: [{ format: 'mp3', path: out('alone.mp3') }],
  });
  assert.equal(byFormat(alone, 'mp3').streamCopy, true);
});

test('any other mp3 source is encoded to what SPEC §3 asks of mp3', async () => {
  // A 128k mp3 at 44.1 kHz, as a second source and as the only one.
  for (const plan of [
    { source: bed.f.wavFloat, sourcePath: bed.f.mp3WithCover },
    { source: bed.f.mp3WithCover, sourcePath: undefined },
  ]) {
    const result = await tools.transcode({
      source: plan.source,
      renditions: [
        { format: 'mp3', path: out('encoded.mp3'), sourcePath: plan.sourcePath },
      ],
    });
    const mp3 = byFormat(result, 'mp3');
    assert.equal(mp3.streamCopy, false);
    assert.equal(mp3.bitrate, 320_000);
    // Made from the mp3 source itself, the source of its format.
    assert.equal(mp3.sourcePath, bed.f.mp3WithCover);
  }
});

test('an mp3 joined from 320 and 128 kb/s parts is encoded, not copied', async () => {
  // ffprobe reads only the first frames and calls the whole file 320k.
  const parts = [320, 128].map((kbps) => {
    const part = out(`part-${kbps}.mp3`);
    ffmpeg([
      '-f', 'lavfi', '-i', 'sine=sample_rate=44100:duration=2', '-ac', '2',
      '-c:a', 'libmp3lame', '-b:a', `${kbps}k`, '-write_xing', '0',
      '-id3v2_version', '0', part,
    ]);
    return readFileSync(part);
  });
  const joined = out('joined.mp3');
  writeFileSync(joined, Buffer.concat(parts));
  assert.equal((await tools.probeSource(joined)).audio?.bitrate, null);

  const result = await tools.transcode({
    source: joined,
    renditions: [{ format: 'mp3', path: out('joined-out.mp3') }],
  });
  const mp3 = byFormat(result, 'mp3');
  assert.equal(mp3.streamCopy, false);
  assert.equal(mp3.bitrate, 320_000);
});

test('a cover in a second source is used when the primary has none', async () => {
  const result = await tools.transcode({
    source: bed.f.wavFloat,
    renditions: [
      { format: 'mp3', path: out('cover2.mp3'), sourcePath: bed.f.mp3WithCover },
      { format: 'flac', path: out('cover2.flac') },
    ],
  });
  assert.equal(result.renditions.length, 2);
  assert.equal((await readTags(out('cover2.mp3'))).cover?.mime, 'image/jpeg');
  assert.equal((await readTags(out('cover2.flac'))).cover, null);
  assert.equal((await tools.probeSource(out('cover2.flac'))).hasCover, false);
});

test('keepFrom: the sources\' picture first, else the kept file\'s', async () => {
  // No source picture: the mp3 gets the one in the kept file.
  const kept = await tools.transcode({
    source: bed.f.wavFloat,
    cover: { keepFrom: bed.f.mp3WithCover },
    renditions: [{ format: 'mp3', path: out('kept.mp3') }],
  });
  assert.equal(kept.formatSources.length, 0, 'the kept file is no source');
  assert.ok(Math.abs(byFormat(kept, 'mp3').durationS - 2) <= 0.05);
  assert.equal((await readTags(out('kept.mp3'))).cover?.mime, 'image/jpeg');

  // A kept file with no picture, or none at all to read: no cover.
  for (const keepFrom of [bed.f.wav16, out('missing.mp3')]) {
    await tools.transcode({
      source: bed.f.wavFloat,
      cover: { keepFrom },
      renditions: [{ format: 'mp3', path: out('unkept.mp3') }],
    });
    assert.equal((await readTags(out('unkept.mp3'))).cover, null, keepFrom);
  }
});

test('checkTools reports versions of both binaries', async () => {
  const report = await tools.checkTools();
  assert.match(report.ffmpegVersion, /^ffmpeg version/);
  assert.match(report.ffprobeVersion, /^ffprobe version/);
});

test('readTags never throws on non-audio and returns what it can', async () => {
  const text = await readTags(bed.f.text);
  assert.deepEqual(text.fields, {});
  assert.equal(text.cover, null);
  const source = await readTags(bed.f.mp3WithCover);
  assert.equal(source.fields.Title, 'Source Title');
  assert.equal(source.cover?.mime, 'image/jpeg');
});
