import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { createMediaTools } from './index';
import {
  byFormat,
  ffmpeg,
  rejectsWith,
  unguardedDecodeSeconds,
  useFixtures,
} from './test-fixtures';

// What the adapter refuses, and how: broken, hostile or unwritable
// sources and unusable binaries, with real ffmpeg on generated fixtures.

const tools = createMediaTools();
const bed = useFixtures();
const { out } = bed;

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

test('a cut-short W64 or CAF is truncated, as a WAV is', async () => {
  // Both declare their audio; ffprobe gives only a size-based estimate.
  for (const format of ['w64', 'caf']) {
    const whole = out(`whole.${format}`);
    ffmpeg([
      '-f', 'lavfi', '-i', 'sine=sample_rate=44100:duration=10',
      '-c:a', 'pcm_s16le', '-f', format, whole,
    ]);
    const cut = out(`cut.${format}`);
    writeFileSync(cut, readFileSync(whole).subarray(0, 300_000));

    const error = await rejectsWith(
      tools.transcode({
        source: cut,
        renditions: [{ format: 'wav', path: out(`cut-${format}.wav`) }],
      }),
      'truncated',
    );
    assert.match(error.message, /^truncated: header says 10\.0 s, 3\.\d s /);
    const whole10 = await tools.transcode({
      source: whole,
      renditions: [{ format: 'wav', path: out(`whole-${format}.wav`) }],
    });
    assert.equal(whole10.source.probe.headerDurationS, 10);
  }
});

test('a second source of another length is refused, nothing kept', async () => {
  // A 3 s WAV with a 2 s mp3 as its mp3: two recordings, not one.
  const error = await rejectsWith(
    tools.transcode({
      source: bed.f.wav16,
      renditions: [
        { format: 'mp3', path: out('other.mp3'), sourcePath: bed.f.mp3WithCover },
        { format: 'wav', path: out('other.wav') },
      ],
    }),
    'verification_failed',
  );
  assert.match(
    error.message,
    /^the mp3 source decodes to 2\.\d s but the wav source to 3\.0 s: /,
  );
  assert.equal(existsSync(out('other.mp3')), false);
  assert.equal(existsSync(out('other.wav')), false);
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

test('a WAV of a codec ffmpeg does not know is undecodable before it runs', async () => {
  // Format tag 0x1234: ffprobe names no codec, and the pass failed as
  // transcode_failed ("Decoder (codec none) not found"), on every retry.
  const bytes = readFileSync(bed.f.wav16);
  assert.equal(bytes.toString('latin1', 12, 16), 'fmt ');
  bytes.writeUInt16LE(0x1234, 20);
  const source = out('unknown codec.wav');
  writeFileSync(source, bytes);
  const error = await rejectsWith(
    tools.transcode({ source, renditions: [{ format: 'wav', path: out('u.wav') }] }),
    'undecodable',
  );
  assert.match(error.message, /^the wav file's audio is in a codec the decoder does not know/);
  assert.equal(existsSync(out('u.wav')), false);
});

test('an ID3 tag before junk is undecodable at once, not retried', async () => {
  // ffprobe sees an mp3 stream of rate 0 (no frame it can read); ffmpeg
  // then exits 1 setting up filters, which once read as its own failure.
  const tagged = out('tag-only.mp3');
  ffmpeg([
    '-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=mono', '-t', '0.1',
    '-c:a', 'libmp3lame', '-id3v2_version', '3', '-metadata', 'title=T',
    tagged,
  ]);
  const file = readFileSync(tagged);
  const tagBytes = 10 + file.subarray(6, 10).reduce((n, b) => n * 128 + b, 0);
  // Noise, the same every run: what a damaged or mislabelled upload holds.
  const junk = Buffer.alloc(256 * 1024);
  for (let i = 0, x = 1; i < junk.length; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    junk[i] = x >>> 16;
  }
  const source = out('tag then junk.mp3');
  writeFileSync(source, Buffer.concat([file.subarray(0, tagBytes), junk]));
  assert.equal((await tools.probeSource(source)).audio?.sampleRate, 0);

  const alone = await rejectsWith(
    tools.transcode({
      source,
      renditions: [{ format: 'mp3', path: out('junk.mp3') }],
    }),
    'undecodable',
  );
  assert.match(alone.message, /^no audio could be decoded: /);
  // As the mp3 beside a good wav, it is the source at fault too.
  await rejectsWith(
    tools.transcode({
      source: bed.f.wav16,
      renditions: [
        { format: 'wav', path: out('junk.wav') },
        { format: 'mp3', path: out('junk.mp3'), sourcePath: source },
      ],
    }),
    'undecodable',
  );
  assert.equal(existsSync(out('junk.wav')), false);
  assert.equal(existsSync(out('junk.mp3')), false);
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
