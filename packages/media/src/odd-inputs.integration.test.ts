import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { createMediaTools, looksLikeAudio } from './index';
import { ffmpeg, rejectsWith } from './test-fixtures';

// Unusual but valid sources, each written by the bundled ffmpeg, end
// published with true facts: every format at the source's rate and
// channels (mp3 at 44.1/48 kHz, at most stereo), the whole length.

const tools = createMediaTools();
const dir = mkdtempSync(join(tmpdir(), 'odd-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sine = (rate: number, seconds = 2) =>
  ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=${seconds}`];

interface Case {
  name: string;
  args: string[];
  rate: number;
  channels: number;
  /** Lossless renditions' depth. */
  depth: 16 | 24;
  mp3Rate: 44_100 | 48_000;
}

const cases: Case[] = [
  { name: '8k.wav', args: [...sine(8000), '-c:a', 'pcm_s16le'],
    rate: 8000, channels: 1, depth: 16, mp3Rate: 44_100 },
  { name: '11k-u8.wav', args: [...sine(11_025), '-c:a', 'pcm_u8'],
    rate: 11_025, channels: 1, depth: 16, mp3Rate: 44_100 },
  { name: '176k.flac', args: [...sine(176_400), '-ac', '2', '-c:a', 'flac',
    '-sample_fmt', 's32'], rate: 176_400, channels: 2, depth: 24, mp3Rate: 44_100 },
  { name: '192k-s32.wav', args: [...sine(192_000), '-c:a', 'pcm_s32le'],
    rate: 192_000, channels: 1, depth: 24, mp3Rate: 48_000 },
  { name: 'f64.wav', args: [...sine(48_000), '-c:a', 'pcm_f64le'],
    rate: 48_000, channels: 1, depth: 24, mp3Rate: 48_000 },
  { name: 'float.aifc', args: [...sine(96_000), '-c:a', 'pcm_f32be', '-f', 'aiff'],
    rate: 96_000, channels: 1, depth: 24, mp3Rate: 48_000 },
  { name: '5.1.flac', args: [...sine(48_000), '-af', 'pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0',
    '-c:a', 'flac'], rate: 48_000, channels: 6, depth: 16, mp3Rate: 48_000 },
  { name: 'alac24.m4a', args: [...sine(88_200), '-c:a', 'alac', '-sample_fmt', 's32p'],
    rate: 88_200, channels: 1, depth: 24, mp3Rate: 44_100 },
  { name: 'opus.ogg', args: [...sine(48_000), '-c:a', 'libopus'],
    rate: 48_000, channels: 1, depth: 16, mp3Rate: 48_000 },
  { name: 'opus.webm', args: [...sine(48_000), '-ac', '2', '-c:a', 'libopus'],
    rate: 48_000, channels: 2, depth: 16, mp3Rate: 48_000 },
  { name: 'vorbis.mka', args: [...sine(44_100), '-c:a', 'libvorbis'],
    rate: 44_100, channels: 1, depth: 16, mp3Rate: 44_100 },
  { name: 'wmav2.wma', args: [...sine(44_100), '-ac', '2', '-c:a', 'wmav2'],
    rate: 44_100, channels: 2, depth: 16, mp3Rate: 44_100 },
  { name: 'mp3-8k.mp3', args: [...sine(8000), '-c:a', 'libmp3lame', '-b:a', '16k'],
    rate: 8000, channels: 1, depth: 16, mp3Rate: 44_100 },
];

for (const c of cases) {
  test(`${c.name} is published with true facts`, async () => {
    const source = join(dir, c.name);
    ffmpeg([...c.args, source]);
    assert.equal((await looksLikeAudio(source)).audio, true, 'accepted at upload');
    const formats = ['mp3', 'wav', 'aiff', 'flac'] as const;
    const result = await tools.transcode({
      source,
      renditions: formats.map((format) => ({ format, path: `${source}.${format}` })),
    });
    const decoded = result.source.decodedDurationS;
    assert.ok(Math.abs(decoded - 2) < 0.05, `decodes ${decoded} s`);
    for (const r of result.renditions) {
      assert.ok(Math.abs(r.durationS - decoded) < 0.05, `${r.format} ${r.durationS} s`);
      const mp3 = r.format === 'mp3';
      assert.equal(r.sampleRate, mp3 ? c.mp3Rate : c.rate, r.format);
      assert.equal(r.channels, mp3 ? Math.min(c.channels, 2) : c.channels, r.format);
      assert.equal(r.bitDepth, mp3 ? null : c.depth, r.format);
    }
  });
}

/** 20 s written, its first third kept. */
function cut(name: string, codec: string[]): string {
  const full = join(dir, `full-${name}`);
  ffmpeg([...sine(44_100, 20), ...codec, full]);
  const path = join(dir, `cut-${name}`);
  writeFileSync(path, readFileSync(full).subarray(0, statSync(full).size / 3));
  return path;
}

for (const [name, codec] of [
  ['tone.wma', ['-c:a', 'wmav2']],
  ['tone.webm', ['-c:a', 'libopus']],
] as const) {
  test(`a cut ${name} is truncated, its header declaring 20 s`, async () => {
    const error = await rejectsWith(
      tools.transcode({
        source: cut(name, [...codec]),
        renditions: [{ format: 'wav', path: join(dir, `${name}.out.wav`) }],
      }),
      'truncated',
    );
    assert.match(error.message, /^truncated: header says 20\.0 s, [\d.]+ s /);
  });
}

for (const rate of [22_050, 44_100]) {
  test(`a Vorbis Ogg at ${rate} Hz ends at its last granule`, async () => {
    // ffmpeg 4.1 decoded the last packet's padding too: 3.013 s at 22.05k.
    const source = join(dir, `vorbis-${rate}.ogg`);
    ffmpeg([...sine(rate, 3), '-ac', '2', '-c:a', 'libvorbis', source]);
    const result = await tools.transcode({
      source,
      renditions: [
        { format: 'wav', path: `${source}.wav` },
        { format: 'mp3', path: `${source}.mp3` },
      ],
    });
    const [wav, mp3] = result.renditions;
    assert.equal(result.source.decodedDurationS, 3);
    assert.equal(wav.durationS, 3);
    assert.ok(Math.abs(mp3.durationS - 3) < 0.001, `mp3 ${mp3.durationS} s`);
  });
}

test('a FLAC that ffprobe reads but ffmpeg cannot open is undecodable', async () => {
  // ffmpeg 4.1 writes a picture over 16 MiB with an overflowed block
  // length; ffprobe 6 reads past it, ffmpeg 4.1 cannot open the file.
  // This failed the pass as transcode_failed (retried, then an error
  // naming the server's path) instead of a verdict on the source.
  const picture = join(dir, 'big.png');
  ffmpeg([
    '-f', 'lavfi', '-i', 'color=size=2400x2400:duration=1', '-frames:v', '1',
    '-compression_level', '0', picture,
  ]);
  const source = join(dir, 'big cover.flac');
  ffmpeg([
    ...sine(44_100, 1), '-i', picture, '-map', '0:a', '-map', '1:v',
    '-c:a', 'flac', '-c:v', 'copy', '-disposition:v', 'attached_pic', source,
  ]);
  const error = await rejectsWith(
    tools.transcode({
      source,
      renditions: [{ format: 'wav', path: join(dir, 'big.wav') }],
    }),
    'undecodable',
  );
  assert.match(error.message, /^not a readable audio file: Invalid data/);
  assert.ok(!error.message.includes(dir), error.message);
});
