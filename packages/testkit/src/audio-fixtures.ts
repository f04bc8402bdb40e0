import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultBinaryPaths } from '@ingest/media';

const run = promisify(execFile);

export interface ToneOptions {
  seconds: number;
  /** Tone frequency in Hz; default 440. */
  frequency?: number;
  sampleRate?: number;
  channels?: number;
  /** ffmpeg codec, e.g. pcm_s16le, pcm_s24le, flac, libmp3lame. */
  codec?: string;
  /** Tags written into the file. */
  tags?: Record<string, string>;
  /** Extra ffmpeg output arguments. */
  args?: string[];
}

/**
 * Writes a sine tone with real ffmpeg, so tests own their fixtures and
 * never depend on files elsewhere.
 */
export async function makeTone(file: string, options: ToneOptions) {
  const { ffmpegPath } = defaultBinaryPaths();
  const rate = options.sampleRate ?? 44_100;
  const tags = Object.entries(options.tags ?? {}).flatMap(([k, v]) => [
    '-metadata',
    `${k}=${v}`,
  ]);
  await run(ffmpegPath, [
    '-hide_banner',
    '-loglevel', 'error',
    '-y',
    '-f', 'lavfi',
    '-i',
    `sine=frequency=${options.frequency ?? 440}:sample_rate=${rate}` +
      `:duration=${options.seconds}`,
    '-ac', String(options.channels ?? 2),
    ...(options.codec ? ['-c:a', options.codec] : []),
    ...tags,
    ...(options.args ?? []),
    file,
  ]);
  return file;
}

/**
 * Writes `tone-1.wav` … `tone-<count>.wav` into `dir`, each of another
 * length, so their bytes differ: a job refuses the same bytes twice.
 */
export async function makeDistinctTones(dir: string, count: number) {
  for (let n = 1; n <= count; n++) {
    await makeTone(path.join(dir, `tone-${n}.wav`), { seconds: 1 + n / 10 });
  }
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  sample_rate?: string;
  channels?: number;
  bits_per_raw_sample?: string;
  bits_per_sample?: number;
  sample_fmt?: string;
  bit_rate?: string;
  duration?: string;
  /** e.g. `attached_pic: 1` on a cover picture. */
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
}

export interface Probed {
  streams: ProbedStream[];
  format: { format_name: string; duration?: string; tags?: Record<string, string> };
}

/** ffprobe's view of a file, for tests to assert on what came out. */
export async function ffprobe(file: string): Promise<Probed> {
  const { ffprobePath } = defaultBinaryPaths();
  const { stdout } = await run(ffprobePath, [
    '-v', 'error',
    '-print_format', 'json',
    '-show_streams',
    '-show_format',
    file,
  ]);
  return JSON.parse(stdout) as Probed;
}

/**
 * Every tag of a probed file by lower-cased name: the container's tags
 * first, then its streams' (where mp3's ID3 and flac's comments show).
 */
export function probedTags(probed: Probed): Record<string, string> {
  const tags: Record<string, string> = {};
  const add = (from: Record<string, string> | undefined) => {
    for (const [key, value] of Object.entries(from ?? {})) {
      tags[key.toLowerCase()] ??= value;
    }
  };
  add(probed.format.tags);
  for (const stream of probed.streams) add(stream.tags);
  return tags;
}

/**
 * The frequency of a pure tone in a file, in Hz: the file is decoded to
 * mono PCM and its zero crossings counted. Enough to tell which of two
 * tones a rendition was made from.
 */
export async function toneFrequency(file: string): Promise<number> {
  const { ffmpegPath } = defaultBinaryPaths();
  const rate = 44_100;
  const { stdout } = await run(
    ffmpegPath,
    [
      '-hide_banner',
      '-loglevel', 'error',
      '-i', file,
      '-ac', '1',
      '-ar', String(rate),
      '-f', 's16le',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 256 << 20 },
  );
  const pcm = stdout as Buffer;
  const samples = Math.floor(pcm.length / 2);
  let crossings = 0;
  let previous = 0;
  for (let i = 0; i < samples; i++) {
    const value = pcm.readInt16LE(i * 2);
    if (value === 0) continue;
    if (previous !== 0 && (value > 0) !== (previous > 0)) crossings += 1;
    previous = value;
  }
  return crossings / 2 / (samples / rate);
}
