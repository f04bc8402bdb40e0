import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { createMediaTools } from './index';
import { ffmpeg } from './test-fixtures';

// Sources that decode but failed the pass as the bundled ffmpeg took
// them, each written by it: a speaker layout it cannot mix down, float
// samples that are no numbers, mp3 audio in another container, an mp3
// joined from parts of other formats. Every format is made from each,
// verified, and as long as the source.

const tools = createMediaTools();
const dir = mkdtempSync(join(tmpdir(), 'odd-samples-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=2'];
// One sample in 997 not a number, and one infinite, in a 2 s float tone.
const broken =
  "aevalsrc=exprs='if(eq(mod(n,997),5),0/0,if(eq(mod(n,997),9),1/0," +
  "sin(2*PI*440*t)))':s=44100:d=2";

interface Case {
  name: string;
  args: string[];
  channels: number;
  /** The layout ffprobe names, kept by the wav rendition. */
  layout?: string;
}

const cases: Case[] = [
  { name: 'rear pair.wav', args: [...tone, '-af', 'pan=BL+BR|c0=c0|c1=c0', '-c:a', 'pcm_s16le'],
    channels: 2, layout: '2 channels (BL+BR)' },
  { name: 'side pair.flac', args: [...tone, '-af', 'pan=SL+SR|c0=c0|c1=c0', '-c:a', 'flac'],
    channels: 2, layout: '2 channels (SL+SR)' },
  { name: 'surrounds.wav', args: [...tone, '-af', 'pan=BL+BR+SL+SR|c0=c0|c1=c0|c2=c0|c3=c0',
    '-c:a', 'pcm_s24le'], channels: 4, layout: '4 channels (BL+BR+SL+SR)' },
  { name: 'not a number.wav', args: ['-f', 'lavfi', '-i', broken, '-c:a', 'pcm_f32le'],
    channels: 1 },
  { name: 'mp3 in a.wav', args: [...tone, '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '320k',
    '-f', 'wav'], channels: 2 },
  { name: 'mp3 in a.mka', args: [...tone, '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '320k'],
    channels: 2 },
];

for (const c of cases) {
  test(`${c.name}: every format is made, verified and whole`, async () => {
    const source = join(dir, c.name);
    ffmpeg([...c.args, source]);
    const formats = ['mp3', 'wav', 'aiff', 'flac'] as const;
    const result = await tools.transcode({
      source,
      renditions: formats.map((format) => ({ format, path: `${source}.${format}` })),
    });

    const decoded = result.source.decodedDurationS;
    assert.ok(Math.abs(decoded - 2) < 0.05, `decodes ${decoded} s`);
    for (const r of result.renditions) {
      assert.ok(Math.abs(r.durationS - decoded) < 0.05, `${r.format} ${r.durationS} s`);
      const channels = r.format === 'mp3' ? Math.min(c.channels, 2) : c.channels;
      assert.equal(r.channels, channels, r.format);
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
      ffmpeg([...tone, ...partArgs, '-c:a', 'libmp3lame', path]);
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
