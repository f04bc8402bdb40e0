import { spawn } from 'node:child_process';
import path from 'node:path';
import { defaultBinaryPaths, type OutputFormat } from '@ingest/media';
// The bench reuses the media package's own argv builder (a subpath export
// kept out of its index: nothing in the services builds ffmpeg commands),
// so plain ffmpeg encodes with exactly the pipeline's settings.
import {
  buildTranscodeArgs,
  countingOutputArgs,
} from '@ingest/media/transcode-args';
import { longestFirst, type TrackKind } from './fixtures';
import { ownChild } from './own-children';
import { pool } from './stats';

/**
 * The same conversions as the pipeline, done by plain ffmpeg commands:
 * no probe before, no sample counting during, no verification after.
 */

export const FORMATS: OutputFormat[] = ['mp3', 'wav', 'aiff'];

function policyOf(kind: TrackKind) {
  return {
    sampleRate: kind.sampleRate,
    channels: 2,
    sampleKind: 'int' as const,
    bitDepth: kind.bitDepth,
  };
}

/** The pipeline's argv for these outputs, minus its sample-counting pipe. */
export function plainArgs(
  kind: TrackKind,
  source: string,
  outputs: Array<{ format: OutputFormat; path: string }>,
): string[] {
  const { args, countingRates } = buildTranscodeArgs({
    inputs: [{ path: source, policy: policyOf(kind) }],
    renditions: outputs.map((o) => ({ ...o, input: 0, copy: false })),
    metadata: {},
    cover: { kind: 'none' },
  });
  const counting = countingOutputArgs(0, 3, countingRates[0]).length;
  return args.slice(0, args.length - counting);
}

function ffmpeg(args: string[]): Promise<void> {
  const { ffmpegPath } = defaultBinaryPaths();
  return new Promise((resolve, reject) => {
    const child = ownChild(
      spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] }),
    );
    let err = '';
    child.stderr.on('data', (chunk) => (err = (err + chunk).slice(-2000)));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg ${code}: ${err}`)),
    );
  });
}

function outputsOf(outDir: string, index: number) {
  return FORMATS.map((format) => ({
    format,
    path: path.join(outDir, `t${index}.${format}`),
  }));
}

/**
 * One ffmpeg per track writing every format, `parallel` at once, longest
 * track first. The outputs are removed after the timed part.
 */
export async function perTrack(
  kind: TrackKind,
  sources: string[],
  outDir: string,
  parallel: number,
): Promise<void> {
  await pool(
    parallel,
    longestFirst(sources.length).map((i) => () =>
      ffmpeg(plainArgs(kind, sources[i], outputsOf(outDir, i))),
    ),
  );
}

/** One ffmpeg per track and format, `parallel` at once, longest first. */
export async function perFormat(
  kind: TrackKind,
  sources: string[],
  outDir: string,
  parallel: number,
): Promise<void> {
  const tasks = longestFirst(sources.length).flatMap((i) =>
    outputsOf(outDir, i).map((output) => () =>
      ffmpeg(plainArgs(kind, sources[i], [output])),
    ),
  );
  await pool(parallel, tasks);
}
