import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createMediaTools } from './index';
import { ffmpeg, rejectsWith } from './test-fixtures';

// SPEC §3, truncated sources: every container that declares a length
// (WAV/AIFF sizes, FLAC STREAMINFO, MP3 Xing frame count, MP4 header)
// is evidence; a length estimated from the bitrate is none. The shared
// fixtures hold a cut WAV only, and the corpus (which has cut mp3 and
// flac files) is absent in a plain clone.

const tools = createMediaTools();
let dir = '';

/** 20 s of tone in `name`, then only its first third kept as `cut-…`. */
function cutThird(name: string, codecArgs: string[]): string {
  const full = join(dir, name);
  ffmpeg([
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=20',
    ...codecArgs, full,
  ]);
  const cut = join(dir, `cut-${name}`);
  const bytes = readFileSync(full);
  writeFileSync(cut, bytes.subarray(0, Math.floor(statSync(full).size / 3)));
  return cut;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'truncation-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const declaring: Array<[string, string, string[]]> = [
  ['AIFF sizes', 'tone.aiff', ['-c:a', 'pcm_s16be']],
  // COMM counts IMA4's packets of 64 frames: read as 0.3 s, a cut one
  // was published at what was left.
  ['AIFF-C IMA4 packet count', 'tone-ima4.aiff', ['-c:a', 'adpcm_ima_qt']],
  ['FLAC STREAMINFO', 'tone.flac', ['-c:a', 'flac']],
  ['MP3 Xing frame count', 'tone.mp3', ['-c:a', 'libmp3lame', '-b:a', '128k']],
  [
    'MP4 header',
    'tone.m4a',
    ['-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart'],
  ],
];

for (const [header, name, codecArgs] of declaring) {
  test(`a cut source whose ${header} declares 20 s is truncated`, async () => {
    const source = cutThird(name, codecArgs);
    const error = await rejectsWith(
      tools.transcode({
        source,
        renditions: [{ format: 'wav', path: join(dir, `${name}.out.wav`) }],
      }),
      'truncated',
    );
    assert.match(error.message, /^truncated: header says 20\.0 s, [\d.]+ s /);
  });
}

test('an mp3 whose length is only estimated is not truncated', async () => {
  // VBR with no Xing header, 3 s of silence first: ffprobe guesses the
  // length from the first frames' low bitrate (about 30 s) while 10 s
  // decode. A guess from the bitrate is no evidence of truncation.
  const source = join(dir, 'quiet start.mp3');
  ffmpeg([
    '-f', 'lavfi', '-i', 'anoisesrc=duration=10:sample_rate=44100',
    '-af', "volume='if(lt(t,3),0,1)':eval=frame",
    '-c:a', 'libmp3lame', '-q:a', '0', '-write_xing', '0', source,
  ]);
  const result = await tools.transcode({
    source,
    renditions: [{ format: 'wav', path: join(dir, 'quiet.out.wav') }],
  });
  const [wav] = result.renditions;
  assert.ok(Math.abs(wav.durationS - 10) < 0.1, `decodes ${wav.durationS} s`);
});

test('a cut ALAC CAF, its packet table lost, is truncated', async () => {
  // ffmpeg writes the table of ALAC's varying packets after the audio: a
  // cut file has none, and neither ffprobe nor ffmpeg opens it. Its data
  // chunk still declares the audio's size, which is the evidence.
  const source = cutThird('tone.caf', ['-ac', '2', '-c:a', 'alac']);
  const error = await rejectsWith(
    tools.transcode({
      source,
      renditions: [{ format: 'wav', path: join(dir, 'caf.out.wav') }],
    }),
    'truncated',
  );
  assert.match(
    error.message,
    new RegExp(
      '^truncated: the CAF header declares [\\d.]+ KiB of audio, ' +
        '[\\d.]+ KiB \\(3[23]%\\) present, 0 s decodable',
    ),
  );
});

// The shared corpus (see its README) beside the repository; a plain
// clone elsewhere skips these.
const corpusDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/corpus');

// Real uploads cut short: ffmpeg decodes nothing of them (no audio is
// left, or the few packets left do not decode), and its demuxer says a
// sample lies past the end ("partial file").
const cutEarly: Array<[string, string]> = [
  ['mp4/issue-387.m4a', '224.0'],
  ['mp4/issue-79.m4a', '302.9'],
  ['mp4/issue-318.m4a', '620.2'],
  ['mp4/issue-133.m4a', '154.3'],
];

for (const [file, declared] of cutEarly) {
  test(`an m4a cut short, nothing of it decodable, is truncated (corpus ${file})`, async (t) => {
    const source = join(corpusDir, 'audio', file);
    if (!existsSync(source)) {
      t.skip(`corpus not found at ${corpusDir} (it lives beside the repo)`);
      return;
    }
    const out = join(dir, `${file.replace('/', '-')}.out.mp3`);
    const error = await rejectsWith(
      tools.transcode({ source, renditions: [{ format: 'mp3', path: out }] }),
      'truncated',
    );
    assert.equal(error.message, `truncated: header says ${declared} s, 0.0 s decodable`);
    assert.equal(existsSync(out), false);
  });
}
