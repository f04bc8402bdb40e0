import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { defaultBinaryPaths } from '@ingest/media';

const run = promisify(execFile);

export interface ToneOptions {
  seconds: number;
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
    '-i', `sine=frequency=440:sample_rate=${rate}:duration=${options.seconds}`,
    '-ac', String(options.channels ?? 2),
    ...(options.codec ? ['-c:a', options.codec] : []),
    ...tags,
    ...(options.args ?? []),
    file,
  ]);
  return file;
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
