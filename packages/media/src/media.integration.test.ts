import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  createMediaTools,
  looksLikeAudio,
  readTags,
  type TranscodeResult,
} from './index';
import {
  rejectsWith,
  unguardedDecodeSeconds,
  useFixtures,
} from './test-fixtures';

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

function byFormat(result: TranscodeResult, format: string) {
  const found = result.renditions.find((r) => r.format === format);
  assert.ok(found, `no ${format} rendition`);
  return found;
}

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

test('mp3 from a same-format source is a stream copy with new tags', async () => {
  const result = await tools.transcode({
    source: bed.f.wav16,
    cover: { path: bed.f.coverJpeg },
    metadata: { Title: 'Copied' },
    renditions: [
      { format: 'mp3', path: out('copy.mp3'), sourcePath: bed.f.mp3WithCover },
      { format: 'flac', path: out('copy.flac') },
    ],
  });
  const mp3 = byFormat(result, 'mp3');
  assert.equal(mp3.streamCopy, true);
  assert.equal(mp3.bitrate, 128_000);
  assert.ok(Math.abs(mp3.durationS - 2) <= 0.05, `${mp3.durationS}`);
  assert.equal(result.formatSources.length, 1);
  assert.ok(Math.abs(byFormat(result, 'flac').durationS - 3) < 0.002);
  const tags = await readTags(out('copy.mp3'));
  assert.equal(tags.fields.Title, 'Copied');
  assert.equal(tags.cover?.mime, 'image/jpeg');
});

test('a cut-short WAV is refused as truncated and leaves nothing', async () => {
  const error = await rejectsWith(
    tools.transcode({
      source: bed.f.truncatedWav,
      renditions: [
        { format: 'mp3', path: out('t.mp3') },
        { format: 'wav', path: out('t.wav') },
      ],
    }),
    'truncated',
  );
  assert.equal(error.message, 'truncated: header says 10.0 s, 1.5 s decodable');
  assert.equal(existsSync(out('t.mp3')), false);
  assert.equal(existsSync(out('t.wav')), false);
});

test('a source of 8 channels makes every format', async () => {
  const result = await tools.transcode({
    source: bed.f.wav8ch,
    renditions: (['mp3', 'wav', 'aiff', 'flac'] as const).map((format) => ({
      format,
      path: out(`ch8.${format}`),
    })),
  });
  assert.equal(byFormat(result, 'mp3').channels, 2);
  for (const format of ['wav', 'aiff', 'flac']) {
    assert.equal(byFormat(result, format).channels, 8, format);
  }
});

test('a source of more than 8 channels is refused before ffmpeg runs', async () => {
  const error = await rejectsWith(
    tools.transcode({
      source: bed.f.wav16ch,
      renditions: [
        { format: 'mp3', path: out('ch16.mp3') },
        { format: 'wav', path: out('ch16.wav') },
        { format: 'flac', path: out('ch16.flac') },
      ],
    }),
    'too_many_channels',
  );
  assert.match(error.message, /^source has 16 audio channels; .* at most 8/);
  assert.deepEqual(error.details, { channels: 16, sampleRate: 8000 });
  for (const format of ['mp3', 'wav', 'flac']) {
    assert.equal(existsSync(out(`ch16.${format}`)), false, format);
  }
});

test('a sample rate below 8 kHz is refused before ffmpeg runs', async () => {
  const error = await rejectsWith(
    tools.transcode({
      source: bed.f.wav5hz,
      renditions: [
        { format: 'mp3', path: out('hz5.mp3') },
        { format: 'wav', path: out('hz5.wav') },
      ],
    }),
    'unsupported_sample_rate',
  );
  assert.match(error.message, /^source has a sample rate of 5 Hz, below/);
  assert.deepEqual(error.details, { channels: 2, sampleRate: 5 });
  assert.equal(existsSync(out('hz5.mp3')), false);
  assert.equal(existsSync(out('hz5.wav')), false);
});

test('flac refuses a rate it cannot write; other formats take it', async () => {
  const error = await rejectsWith(
    tools.transcode({
      source: bed.f.wav88201,
      renditions: [
        { format: 'wav', path: out('odd.wav') },
        { format: 'flac', path: out('odd.flac') },
      ],
    }),
    'unsupported_sample_rate',
  );
  assert.match(error.message, /^flac cannot hold a sample rate of 88201 Hz/);
  assert.deepEqual(error.details, { format: 'flac', sampleRate: 88_201 });
  assert.equal(existsSync(out('odd.wav')), false);

  const result = await tools.transcode({
    source: bed.f.wav88201,
    renditions: [
      { format: 'wav', path: out('odd.wav') },
      { format: 'aiff', path: out('odd.aiff') },
    ],
  });
  assert.equal(byFormat(result, 'wav').sampleRate, 88_201);
  assert.equal(byFormat(result, 'aiff').sampleRate, 88_201);
});

test('empty and text files fail with readable reasons', async () => {
  const plan = (source: string) => ({
    source,
    renditions: [{ format: 'mp3' as const, path: out('x.mp3') }],
  });
  const empty = await rejectsWith(tools.transcode(plan(bed.f.zero)), 'empty_file');
  assert.equal(empty.message, 'the file is empty (0 bytes)');
  const text = await rejectsWith(tools.transcode(plan(bed.f.text)), 'undecodable');
  assert.match(text.message, /^not a readable audio file: /);
  assert.doesNotMatch(text.message, /0x[0-9a-f]{6}/);
  assert.equal(existsSync(out('x.mp3')), false);
});

test('a playlist posing as mp3 never makes ffmpeg read its target', async () => {
  // Control: without the guards ffmpeg follows the playlist to the canary.
  assert.ok(unguardedDecodeSeconds(bed.f.playlist) > 2.5);

  await rejectsWith(tools.probeSource(bed.f.playlist), 'undecodable');
  await rejectsWith(
    tools.transcode({
      source: bed.f.playlist,
      renditions: [{ format: 'mp3', path: out('hls.mp3') }],
    }),
    'undecodable',
  );
  assert.equal(existsSync(out('hls.mp3')), false);
});

test('timeout and abort kill the run and clean up', async () => {
  const plan = {
    source: bed.f.wav24hi,
    renditions: [
      { format: 'flac' as const, path: out('slow.flac') },
      { format: 'mp3' as const, path: out('slow.mp3') },
    ],
  };
  await rejectsWith(tools.transcode({ ...plan, timeoutMs: 1 }), 'timeout');

  const controller = new AbortController();
  const running = tools.transcode({ ...plan, signal: controller.signal });
  setTimeout(() => controller.abort(), 30);
  await rejectsWith(running, 'aborted');
  assert.equal(existsSync(out('slow.flac')), false);
  assert.equal(existsSync(out('slow.mp3')), false);
});

test('a binary without exec bit gets a clear error', async () => {
  const fake = join(bed.f.dir, 'ffprobe-noexec');
  writeFileSync(fake, '#!/bin/sh\n');
  chmodSync(fake, 0o644);
  const broken = createMediaTools({ ffprobePath: fake });
  const error = await rejectsWith(
    broken.probeSource(bed.f.wav16),
    'tool_not_executable',
  );
  assert.match(error.message, /chmod \+x/);
  await rejectsWith(
    createMediaTools({ ffprobePath: join(bed.f.dir, 'nope') }).probeSource(
      bed.f.wav16,
    ),
    'tool_missing',
  );
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
