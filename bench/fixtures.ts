import { execFile } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultBinaryPaths } from '@ingest/media';

const run = promisify(execFile);

/** A kind of music-length source the benchmarks transcode. */
export interface TrackKind {
  label: string;
  sampleRate: number;
  bitDepth: 16 | 24;
  /** How the sources are stored: WAV (free to decode) or FLAC (not). */
  container: 'wav' | 'flac';
}

export const CD: TrackKind = {
  label: '44.1 kHz / 16-bit WAV', sampleRate: 44_100, bitDepth: 16, container: 'wav',
};
export const HIRES: TrackKind = {
  label: '96 kHz / 24-bit WAV', sampleRate: 96_000, bitDepth: 24, container: 'wav',
};
export const CD_FLAC: TrackKind = { ...CD, label: '44.1 kHz / 16-bit FLAC', container: 'flac' };

/** Where generated tracks are kept between runs (they are deterministic). */
export const FIXTURE_DIR = path.join(os.tmpdir(), 'ingest-bench-fixtures');

/** Length of track `index`: 3 to 5 minutes, the same on every run. */
export function trackSeconds(index: number): number {
  return 180 + ((index * 37) % 121);
}

/**
 * Writes (once) a stereo WAV of music length: a chord of tones whose
 * pitches depend on the track index over a pink-noise bed with a fixed
 * seed, with tremolo, so every track has different bytes and busy
 * content for the encoders (not silence, not a pure tone).
 */
export async function musicTrack(kind: TrackKind, index: number): Promise<string> {
  if (kind.container === 'flac') {
    return flacOf(await musicTrack({ ...kind, container: 'wav' }, index));
  }
  await mkdir(FIXTURE_DIR, { recursive: true });
  const seconds = trackSeconds(index);
  const file = path.join(
    FIXTURE_DIR,
    `track-${kind.sampleRate}-${kind.bitDepth}-${index}-${seconds}s.wav`,
  );
  if (await exists(file)) return file;

  const root = 110 * 2 ** ((index % 12) / 12);
  const rate = kind.sampleRate;
  const sine = (ratio: number) =>
    ['-f', 'lavfi', '-i',
      `sine=f=${(root * ratio).toFixed(3)}:r=${rate}:d=${seconds}`];
  const { ffmpegPath } = defaultBinaryPaths();
  const temp = `${file}.part.wav`;
  await run(ffmpegPath, [
    '-hide_banner', '-loglevel', 'error', '-y',
    ...sine(1), ...sine(1.5), ...sine(1.26), ...sine(2.52),
    '-f', 'lavfi', '-i',
    `anoisesrc=d=${seconds}:c=pink:r=${rate}:a=0.3:s=${1000 + index}`,
    '-filter_complex',
    '[4:a]asplit[nl][nr];' +
      '[0:a][1:a][2:a][3:a][nl][nr]amerge=inputs=6,' +
      'pan=stereo|c0=0.3*c0+0.25*c1+0.2*c3+0.3*c4' +
      '|c1=0.3*c0+0.25*c2+0.2*c3+0.3*c5,' +
      'tremolo=f=0.4:d=0.5[out]',
    '-map', '[out]',
    '-c:a', kind.bitDepth === 24 ? 'pcm_s24le' : 'pcm_s16le',
    '-fflags', '+bitexact', '-flags:a', '+bitexact',
    temp,
  ], { maxBuffer: 1 << 20 });
  await rename(temp, file);
  return file;
}

/** The same audio as a FLAC file beside the WAV (made once). */
async function flacOf(wav: string): Promise<string> {
  const file = wav.replace(/\.wav$/, '.flac');
  if (await exists(file)) return file;
  const temp = `${file}.part.flac`;
  await run(defaultBinaryPaths().ffmpegPath, [
    '-hide_banner', '-loglevel', 'error', '-y', '-i', wav,
    '-c:a', 'flac', '-fflags', '+bitexact', '-flags:a', '+bitexact', temp,
  ], { maxBuffer: 1 << 20 });
  await rename(temp, file);
  return file;
}

export async function musicTracks(kind: TrackKind, count: number) {
  const files: string[] = [];
  for (let i = 0; i < count; i++) files.push(await musicTrack(kind, i));
  return files;
}

/**
 * Track indexes longest first: the order the pipeline hands a job's
 * uploads to its transcoders, given to plain ffmpeg too so that the
 * comparison is about the work, not about scheduling.
 */
export function longestFirst(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i).sort(
    (a, b) => trackSeconds(b) - trackSeconds(a) || a - b,
  );
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
