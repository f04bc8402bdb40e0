import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { createMediaTools, looksLikeAudio } from './index';
import { ffmpeg, rejectsWith } from './test-fixtures';

// Unusual but valid sources, each written by the bundled ffmpeg, end
// published with true facts: every format at the source's rate and
// channels (mp3 at 44.1/48 kHz, at most stereo), the whole length. Some
// failed the pass as that ffmpeg took them: a speaker layout it cannot
// mix down, float samples that are no numbers (its mp3 encoder aborted),
// mp3 audio in another container (copied, its mp3 was broken or short),
// an mp3 joined from parts of other formats (its flac came out short).

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
  /** The layout ffprobe names, kept by the wav rendition. */
  layout?: string;
}

// One sample in 997 not a number, and one infinite, in a 2 s float tone.
const broken =
  "aevalsrc=exprs='if(eq(mod(n,997),5),0/0,if(eq(mod(n,997),9),1/0," +
  "sin(2*PI*440*t)))':s=44100:d=2";
const cd = { rate: 44_100, mp3Rate: 44_100 } as const;

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
  { name: 'rear pair.wav', args: [...sine(44_100), '-af', 'pan=BL+BR|c0=c0|c1=c0',
    '-c:a', 'pcm_s16le'], ...cd, channels: 2, depth: 16, layout: '2 channels (BL+BR)' },
  { name: 'side pair.flac', args: [...sine(44_100), '-af', 'pan=SL+SR|c0=c0|c1=c0',
    '-c:a', 'flac'], ...cd, channels: 2, depth: 16, layout: '2 channels (SL+SR)' },
  { name: 'surrounds.wav', args: [...sine(44_100), '-af',
    'pan=BL+BR+SL+SR|c0=c0|c1=c0|c2=c0|c3=c0', '-c:a', 'pcm_s24le'],
  ...cd, channels: 4, depth: 24, layout: '4 channels (BL+BR+SL+SR)' },
  { name: 'not a number.wav', args: ['-f', 'lavfi', '-i', broken, '-c:a', 'pcm_f32le'],
    ...cd, channels: 1, depth: 24 },
  { name: 'mp3 in a.wav', args: [...sine(44_100), '-ac', '2', '-c:a', 'libmp3lame',
    '-b:a', '320k', '-f', 'wav'], ...cd, channels: 2, depth: 16 },
  { name: 'mp3 in a.mka', args: [...sine(44_100), '-ac', '2', '-c:a', 'libmp3lame',
    '-b:a', '320k'], ...cd, channels: 2, depth: 16 },
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
      // Encoded from what it decodes to, never its packets copied.
      assert.equal(r.streamCopy, false, r.format);
    }
    if (c.layout) {
      const wav = await tools.probeSource(`${source}.wav`);
      assert.equal(wav.audio?.channelLayout, c.layout, 'the wav keeps its label');
    }
  });
}

for (const [second, args] of [
  ['stereo', ['-ac', '2']],
  ['48 kHz', ['-ac', '1', '-ar', '48000']],
] as const) {
  test(`an mp3 of a mono 44.1 kHz part, then a ${second} one, is made whole`, async () => {
    // ffmpeg 4.1 rebuilt its filters where the format changed and its
    // flac encoder dropped what it held there: the flac came out short.
    const parts = [['-ac', '1'], args].map((partArgs, i) => {
      const path = join(dir, `${second} part ${i}.mp3`);
      ffmpeg([...sine(44_100), ...partArgs, '-c:a', 'libmp3lame', path]);
      return readFileSync(path);
    });
    const source = join(dir, `joined ${second}.mp3`);
    writeFileSync(source, Buffer.concat(parts));
    const formats = ['mp3', 'wav', 'flac'] as const;
    const result = await tools.transcode({
      source,
      renditions: formats.map((format) => ({ format, path: `${source}.${format}` })),
    });

    const decoded = result.source.decodedDurationS;
    assert.ok(Math.abs(decoded - 4) < 0.1, `decodes ${decoded} s`);
    for (const r of result.renditions) {
      // Exact but for the mp3 encoder's own frames.
      const slack = r.format === 'mp3' ? 0.03 : 0.001;
      assert.ok(Math.abs(r.durationS - decoded) < slack, `${r.format} ${r.durationS} s`);
      // The first part's format, as the probe reports it.
      assert.equal(r.channels, 1, r.format);
      assert.equal(r.sampleRate, 44_100, r.format);
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
