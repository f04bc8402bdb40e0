import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { defaultBinaryPaths } from './binary-paths';
import { createToolRunner } from './ffmpeg-runner';
import { MediaError } from './media-error';
import { looksLikeAudio } from './audio-sniff';
import { createMediaTools } from './media-tools';
import { countPresentPcmFrames, readDeclaredPcmLength } from './pcm-header';
import { inspectRenditions } from './rendition-inspector';
import { ffmpeg } from './test-fixtures';

// The frame count stands in for an ffmpeg decode of wav/aiff renditions,
// so it is held against ffmpeg's own decode of the same files, written by
// the same muxers and options the transcode pass uses.

const dir = mkdtempSync(join(tmpdir(), 'pcm-frames-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Samples per channel ffmpeg decodes from a file, exactly. */
function ffmpegFrames(path: string): number {
  const { stdout } = ffmpeg(['-i', path, '-ac', '1', '-f', 'u8', 'pipe:1']);
  return stdout.length;
}

const LAYOUTS = [
  { name: 'a.wav', rate: 44_100, channels: 2, codec: 'pcm_s16le', extra: ['-rf64', 'auto'] },
  { name: 'b.wav', rate: 96_000, channels: 2, codec: 'pcm_s24le', extra: ['-rf64', 'always'] },
  { name: 'c.wav', rate: 48_000, channels: 6, codec: 'pcm_s24le', extra: [] },
  { name: 'd.aiff', rate: 44_100, channels: 2, codec: 'pcm_s16be', extra: ['-write_id3v2', '1'] },
  { name: 'e.aiff', rate: 96_000, channels: 1, codec: 'pcm_s24be', extra: [] },
];

for (const layout of LAYOUTS) {
  const what = `${layout.codec}, ${layout.channels} ch`;
  test(`${layout.name}: frames present equal ffmpeg's decode (${what})`, async () => {
    const path = join(dir, layout.name);
    ffmpeg([
      '-f', 'lavfi', '-i', `sine=frequency=330:sample_rate=${layout.rate}:duration=1.2345`,
      '-ac', String(layout.channels), '-c:a', layout.codec,
      '-metadata', 'title=Tagged so the header has more chunks',
      ...layout.extra, path,
    ]);
    const counted = await countPresentPcmFrames(path);
    assert.ok(counted, 'a PCM layout is read');
    assert.equal(counted.sampleRate, layout.rate);
    assert.equal(counted.shortOfDeclared, false);
    assert.equal(counted.frames, ffmpegFrames(path));
    assert.equal(counted.frames, Math.round(1.2345 * layout.rate));
  });
}

test('a rendition cut short holds fewer frames than it declares', async () => {
  for (const name of ['a.wav', 'd.aiff']) {
    const whole = join(dir, name);
    const cut = join(dir, `cut-${name}`);
    const bytes = readFileSync(whole);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 40_000));

    const counted = await countPresentPcmFrames(cut);
    assert.ok(counted);
    assert.equal(counted.shortOfDeclared, true);
    assert.equal(counted.frames, ffmpegFrames(cut));
    // What the header declares is still the whole length.
    const declared = await readDeclaredPcmLength(cut);
    assert.ok(declared && Math.abs(declared.durationS - 1.2345) < 0.001);
  }
});

test('other files are not counted: the caller decodes them instead', async () => {
  const mp3 = join(dir, 'f.mp3');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.5', '-c:a', 'libmp3lame', mp3]);
  const float = join(dir, 'g.wav');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.5', '-c:a', 'pcm_f32le', float]);
  const text = join(dir, 'h.wav');
  writeFileSync(text, 'RIFF....WAVEnot really');

  assert.equal(await countPresentPcmFrames(mp3), null);
  assert.equal(await countPresentPcmFrames(text), null);
  // IEEE float frames have a fixed size too: counted like integers.
  assert.equal((await countPresentPcmFrames(float))?.frames, ffmpegFrames(float));
});

test('the inspector fails a wav rendition cut short, and measures a whole one', async () => {
  const runner = createToolRunner(defaultBinaryPaths());
  const options = { timeoutMs: 30_000 };
  const whole = { format: 'wav' as const, path: join(dir, 'a.wav'), sampleRate: 44_100 };
  const [facts] = await inspectRenditions(runner, [whole], options);
  assert.equal(facts.decodedS, Math.round(1.2345 * 44_100) / 44_100);
  assert.equal(facts.codec, 'pcm_s16le');

  const cut = { ...whole, path: join(dir, 'cut-a.wav') };
  await assert.rejects(inspectRenditions(runner, [cut], options), (err: unknown) => {
    assert.ok(err instanceof MediaError);
    assert.equal(err.code, 'verification_failed');
    assert.match(err.message, /wav rendition holds less audio than its header/);
    return true;
  });
});

/** 2 s of 16-bit stereo as a plain WAV: fmt at 12, its 16 bytes, data. */
function plainWav(name: string): Buffer {
  const path = join(dir, name);
  ffmpeg([
    '-f', 'lavfi', '-i', 'sine=duration=2', '-ac', '2', '-c:a', 'pcm_s16le',
    '-fflags', '+bitexact', path,
  ]);
  const bytes = readFileSync(path);
  assert.equal(bytes.toString('latin1', 12, 16), 'fmt ');
  return bytes;
}

test('a wrong block size or SoX\'s unset data size declares no false length', async () => {
  const bytes = plainWav('whole.wav');
  // One channel's bytes as the block size, as some writers put it.
  const oneChannel = Buffer.from(bytes);
  oneChannel.writeUInt16LE(2, 32);
  // The size SoX gives the data chunk when it writes to a pipe.
  const sox = Buffer.from(bytes);
  sox.writeUInt32LE(0x7fff_f000, bytes.indexOf('data', 12, 'latin1') + 4);

  const tools = createMediaTools();
  for (const [name, file, declared] of [
    ['block.wav', oneChannel, 2],
    ['sox.wav', sox, undefined],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, file);
    assert.equal((await readDeclaredPcmLength(path))?.durationS, declared, name);
    const result = await tools.transcode({
      source: path,
      renditions: [{ format: 'wav', path: join(dir, `out-${name}`) }],
    });
    assert.equal(result.source.decodedDurationS, 2, name);
  }
});

/** A plain 16-bit WAV (fmt of 16 bytes, then data) as RIFX: big-endian. */
function toRifx(wav: Buffer): Buffer {
  const out = Buffer.from(wav);
  assert.equal(wav.toString('latin1', 36, 40), 'data');
  out.write('RIFX', 0, 'latin1');
  for (const at of [4, 16, 24, 28, 40]) out.writeUInt32BE(wav.readUInt32LE(at), at);
  for (const at of [20, 22, 32, 34]) out.writeUInt16BE(wav.readUInt16LE(at), at);
  for (let at = 44; at + 1 < wav.length; at += 2) {
    out.writeUInt16BE(wav.readUInt16LE(at), at);
  }
  return out;
}

test('a RIFX WAV is taken, and found truncated when cut', async () => {
  const rifx = toRifx(plainWav('plain.wav'));
  const path = join(dir, 'big-endian.wav');
  writeFileSync(path, rifx);
  const cut = join(dir, 'big-endian-cut.wav');
  writeFileSync(cut, rifx.subarray(0, rifx.length / 3));
  // Refused at upload as "not a recognised audio format", and a cut one
  // was published at what was left.
  assert.deepEqual(await looksLikeAudio(path), { audio: true, container: 'wav' });
  assert.equal((await readDeclaredPcmLength(path))?.durationS, 2);

  const tools = createMediaTools();
  const result = await tools.transcode({
    source: path,
    renditions: [{ format: 'flac', path: join(dir, 'big-endian.flac') }],
  });
  assert.equal(result.source.decodedDurationS, 2);
  await assert.rejects(
    tools.transcode({ source: cut, renditions: [{ format: 'flac', path: join(dir, 'c.flac') }] }),
    (err: unknown) => err instanceof MediaError && err.code === 'truncated',
  );
});
