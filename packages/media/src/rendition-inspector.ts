import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

import { fileUrl, inputGuardArgs } from './audio-containers';
import type { OutputFormat } from './encoding-policy';
import { readableToolLine, type ToolRunner } from './ffmpeg-runner';
import { MediaError } from './media-error';
import { sampleFormatOf } from './probe';
import {
  COUNT_BYTES_PER_SECOND,
  countingOutputArgs,
} from './transcode-args';
import type { RenditionFacts } from './verify';

/**
 * Looks at renditions after they are written: stream layout and format
 * via ffprobe, length by decoding every rendition in one ffmpeg pass, and
 * bytes + sha256 from the file itself.
 */

export interface InspectedRendition extends RenditionFacts {
  path: string;
  bytes: number;
  sha256: string;
  bitrate: number | null;
}

interface ProbedStream {
  codec_type?: string;
  codec_name?: string;
  sample_rate?: string;
  channels?: number;
  sample_fmt?: string;
  bits_per_sample?: number;
  bits_per_raw_sample?: string;
  bit_rate?: string;
  disposition?: { attached_pic?: number };
}

export interface InspectOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function inspectRenditions(
  runner: ToolRunner,
  renditions: Array<{ format: OutputFormat; path: string }>,
  options: InspectOptions,
): Promise<InspectedRendition[]> {
  const decoded = await decodeLengths(
    runner,
    renditions.map((r) => r.path),
    options,
  );

  const inspected: InspectedRendition[] = [];
  for (const [i, rendition] of renditions.entries()) {
    const [layout, file] = await Promise.all([
      probeLayout(runner, rendition.path, options),
      hashFile(rendition.path),
    ]);
    inspected.push({
      ...layout,
      ...file,
      format: rendition.format,
      path: rendition.path,
      decodedS: decoded[i],
    });
  }
  return inspected;
}

async function decodeLengths(
  runner: ToolRunner,
  paths: string[],
  options: InspectOptions,
): Promise<number[]> {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];
  for (const path of paths) {
    args.push(...inputGuardArgs(), '-i', fileUrl(path));
  }
  paths.forEach((_, i) => args.push(...countingOutputArgs(i, 3 + i)));

  const run = await runner.run({
    tool: 'ffmpeg',
    args,
    countedPipes: paths.length,
    ...options,
  });
  if (run.exitCode !== 0) {
    const line = run.stderrTail.at(-1);
    throw new MediaError(
      'verification_failed',
      `a rendition could not be decoded back: ` +
        `${line ? readableToolLine(line) : `exit ${run.exitCode}`}`,
    );
  }
  return run.countedBytes.map((b) => b / COUNT_BYTES_PER_SECOND);
}

type Layout = Omit<RenditionFacts, 'format' | 'decodedS'> & {
  bitrate: number | null;
};

async function probeLayout(
  runner: ToolRunner,
  path: string,
  options: InspectOptions,
): Promise<Layout> {
  const run = await runner.run({
    tool: 'ffprobe',
    args: [
      '-hide_banner',
      '-v',
      'error',
      ...inputGuardArgs(),
      '-show_streams',
      '-of',
      'json',
      fileUrl(path),
    ],
    captureStdout: true,
    ...options,
  });

  let streams: ProbedStream[] = [];
  try {
    streams = (JSON.parse(run.stdout) as { streams?: ProbedStream[] })
      .streams ?? [];
  } catch {
    // Handled below: a file ffprobe cannot read has no audio streams.
  }

  const audio = streams.filter((s) => s.codec_type === 'audio');
  const pictures = streams.filter(
    (s) => s.codec_type === 'video' && s.disposition?.attached_pic === 1,
  );
  const first = audio[0];
  const codec = first?.codec_name ?? null;
  const depth = first && codec ? sampleFormatOf(first, codec) : null;

  return {
    audioStreams: audio.length,
    otherStreams: streams.length - audio.length - pictures.length,
    pictures: pictures.length,
    codec,
    sampleRate: first?.sample_rate ? Number(first.sample_rate) : null,
    channels: first?.channels ?? null,
    bitDepth: depth?.sampleKind === 'lossy' ? null : (depth?.bitDepth ?? null),
    bitrate: first?.bit_rate ? Number(first.bit_rate) : null,
  };
}

async function hashFile(
  path: string,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  const { size } = await stat(path);
  return { bytes: size, sha256: hash.digest('hex') };
}
