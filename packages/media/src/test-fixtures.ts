import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { defaultBinaryPaths } from './binary-paths';
import { MediaError } from './media-error';
import type { TranscodeResult } from './transcode';

/**
 * Test fixtures generated with the real ffmpeg into a fresh temp dir, so
 * the repository carries no binary test data. Used by integration tests.
 */

const { ffmpegPath } = defaultBinaryPaths();

/** Runs ffmpeg with lavfi sources; throws with stderr when it fails. */
export function ffmpeg(
  args: string[],
  allowFail = false,
): { stdout: Buffer; status: number } {
  const result = spawnSync(
    ffmpegPath,
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0 && !allowFail) {
    throw new Error(`fixture ffmpeg failed: ${result.stderr.toString()}`);
  }
  return { stdout: result.stdout, status: result.status ?? -1 };
}

const sine = (rate: number, seconds: number, freq = 440) =>
  `sine=frequency=${freq}:sample_rate=${rate}:duration=${seconds}`;

export interface Fixtures {
  dir: string;
  wav16: string;
  wav24hi: string;
  wavFloat: string;
  wav8kU8: string;
  wav8ch: string;
  wav16ch: string;
  wav5hz: string;
  wav88201: string;
  coverJpeg: string;
  mp3WithCover: string;
  /** 320 kb/s at 48 kHz: already an mp3 rendition (mp3AsIs). */
  mp3Cbr320: string;
  flac24: string;
  truncatedWav: string;
  zero: string;
  text: string;
  canary: string;
  playlist: string;
}

export function makeFixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'media-fixtures-'));
  const at = (name: string) => join(dir, name);
  const f: Fixtures = {
    dir,
    wav16: at("tone 44k [16] l'été.wav"),
    wav24hi: at('tone-96k-24.wav'),
    wavFloat: at('tone-48k-float.wav'),
    wav8kU8: at('tone-8k-u8-mono.wav'),
    wav8ch: at('tone-8ch.wav'),
    wav16ch: at('tone-16ch.wav'),
    wav5hz: at('tone-5hz.wav'),
    wav88201: at('tone-88201.wav'),
    coverJpeg: at('cover.jpg'),
    mp3WithCover: at('with cover "quoted".mp3'),
    mp3Cbr320: at('tone-48k-320k.mp3'),
    flac24: at('tone-48k-24.flac'),
    truncatedWav: at('cut short.wav'),
    zero: at('zero.mp3'),
    text: at('notes.mp3'),
    canary: at('canary.mp3'),
    playlist: at('playlist.mp3'),
  };

  const stereo = (rate: number, seconds: number) => [
    '-f', 'lavfi', '-i', sine(rate, seconds, 440),
    '-f', 'lavfi', '-i', sine(rate, seconds, 660),
    '-filter_complex', '[0:a][1:a]amerge=inputs=2[a]', '-map', '[a]',
  ];

  ffmpeg([...stereo(44_100, 3), '-c:a', 'pcm_s16le', f.wav16]);
  ffmpeg([...stereo(96_000, 2), '-c:a', 'pcm_s24le', f.wav24hi]);
  ffmpeg([...stereo(48_000, 2), '-c:a', 'pcm_f32le', f.wavFloat]);
  ffmpeg(['-f', 'lavfi', '-i', sine(8000, 2), '-c:a', 'pcm_u8', f.wav8kU8]);
  for (const [channels, file] of [[8, f.wav8ch], [16, f.wav16ch]] as const) {
    ffmpeg([
      '-f', 'lavfi', '-i', sine(8000, 1), '-ac', String(channels),
      '-c:a', 'pcm_s16le', file,
    ]);
  }
  // A minute at 5 Hz: 1.2 kB that a header calls a minute of audio.
  ffmpeg([
    '-f', 'lavfi', '-i', 'sine=frequency=1:sample_rate=5:duration=60',
    '-ac', '2', '-c:a', 'pcm_s16le', f.wav5hz,
  ]);
  ffmpeg(['-f', 'lavfi', '-i', sine(88_201, 1), '-c:a', 'pcm_s16le', f.wav88201]);
  ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=1', '-frames:v', '1',
    f.coverJpeg,
  ]);
  ffmpeg([
    '-f', 'lavfi', '-i', sine(44_100, 2), '-i', f.coverJpeg,
    '-map', '0:a', '-map', '1:v', '-ac', '2',
    '-c:a', 'libmp3lame', '-b:a', '128k', '-c:v', 'copy',
    '-disposition:v', 'attached_pic', '-id3v2_version', '3',
    '-metadata', 'title=Source Title', '-metadata', 'artist=Source Artist',
    f.mp3WithCover,
  ]);
  ffmpeg([
    ...stereo(48_000, 2), '-c:a', 'flac', '-sample_fmt', 's32', f.flac24,
  ]);
  ffmpeg([
    ...stereo(48_000, 2), '-c:a', 'libmp3lame', '-b:a', '320k', f.mp3Cbr320,
  ]);

  // A 10 s WAV of which only the first ~1.5 s arrived.
  const full = at('full.wav');
  ffmpeg(['-f', 'lavfi', '-i', sine(44_100, 10), '-c:a', 'pcm_s16le', full]);
  writeFileSync(f.truncatedWav, readFileSync(full).subarray(0, 132_344));

  writeFileSync(f.zero, '');
  writeFileSync(f.text, 'These are my notes, not a song.\n');

  // A playlist posing as an mp3 that points at another local file.
  ffmpeg([
    '-f', 'lavfi', '-i', sine(44_100, 3), '-c:a', 'libmp3lame', f.canary,
  ]);
  writeFileSync(
    f.playlist,
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n' +
      '#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:3.0,\ncanary.mp3\n#EXT-X-ENDLIST\n',
  );
  return f;
}

/** Seconds of audio ffmpeg decodes from a file with no guards at all. */
export function unguardedDecodeSeconds(path: string): number {
  const { stdout } = ffmpeg(
    ['-i', path, '-ac', '1', '-ar', '8000', '-f', 's16le', 'pipe:1'],
    true,
  );
  return stdout.length / 16_000;
}

/**
 * The fixtures of one test file: made before its tests, removed after,
 * with an empty `out/` folder for what the tests write.
 */
export function useFixtures(): {
  readonly f: Fixtures;
  out(name: string): string;
} {
  let made: Fixtures | undefined;
  before(() => {
    made = makeFixtures();
    mkdirSync(join(made.dir, 'out'));
  });
  after(() => made && rmSync(made.dir, { recursive: true, force: true }));
  const fixtures = () => {
    assert.ok(made, 'fixtures are made in before()');
    return made;
  };
  return {
    get f() {
      return fixtures();
    },
    out: (name) => join(fixtures().dir, 'out', name),
  };
}

/** Awaits a MediaError with this code and returns it. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
): Promise<MediaError> {
  let caught: MediaError | undefined;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof MediaError, String(error));
    assert.equal(error.code, code, error.message);
    caught = error;
    return true;
  });
  return caught!;
}

/** The rendition of this format in a result; fails when there is none. */
export function byFormat(result: TranscodeResult, format: string) {
  const found = result.renditions.find((r) => r.format === format);
  assert.ok(found, `no ${format} rendition`);
  return found;
}
