import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

import { fileUrl, inputGuardArgs } from './audio-containers';
import type { OutputFormat } from './encoding-policy';
import { readableToolLine, type ToolRunner } from './ffmpeg-runner';
import { MediaError } from './media-error';
import { countPresentPcmFrames } from './pcm-header';
import { sampleFormatOf } from './probe';
import { countingOutputArgs, countingRate } from './transcode-args';
import type { RenditionFacts } from './verify';

/**
 * Looks at renditions after they are written: stream layout and format
 * via ffprobe, bytes + sha256 from the file itself, and the decoded
 * length. A wav or aiff rendition is plain PCM, whose decoding is taking
 * whole frames from the data chunk: its length is the frames present in
 * the file (pcm-header.ts), which costs nothing next to an ffmpeg run
 * that reads and converts every sample. Other renditions (mp3, flac) are
 * decoded, each by its own short ffmpeg run: ffmpeg 4.1 reading several
 * inputs at once spends a thread and a message queue on each, which cost
 * more CPU than the decoding (0.9 s against 0.5 s for the three
 * renditions of a 3-minute 96 kHz track).
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

export interface WrittenRendition {
  format: OutputFormat;
  path: string;
  /** The rate the rendition should have; its length is counted at it. */
  sampleRate: number;
  /**
   * Its channel count, when it keeps a source's layout that ffmpeg
   * cannot mix (channel-layouts.ts): relabelled before it is counted.
   */
  relabelChannels?: number;
}

export async function inspectRenditions(
  runner: ToolRunner,
  renditions: WrittenRendition[],
  options: InspectOptions,
): Promise<InspectedRendition[]> {
  return Promise.all(
    renditions.map(async (rendition) => {
      const [decodedS, layout, file] = await Promise.all([
        decodedLength(runner, rendition, options),
        probeLayout(runner, rendition.path, options),
        hashFile(rendition.path),
      ]);
      return {
        ...layout,
        ...file,
        format: rendition.format,
        path: rendition.path,
        decodedS,
      };
    }),
  );
}

/** Seconds of audio the rendition decodes to. */
async function decodedLength(
  runner: ToolRunner,
  rendition: WrittenRendition,
  options: InspectOptions,
): Promise<number> {
  if (rendition.format === 'wav' || rendition.format === 'aiff') {
    const pcm = await countPresentPcmFrames(rendition.path);
    if (pcm?.shortOfDeclared) {
      throw new MediaError(
        'verification_failed',
        `the ${rendition.format} rendition holds less audio than its ` +
          'header declares',
        { format: rendition.format },
      );
    }
    if (pcm) return pcm.frames / pcm.sampleRate;
  }
  return decodeWithFfmpeg(runner, rendition, options);
}

async function decodeWithFfmpeg(
  runner: ToolRunner,
  rendition: WrittenRendition,
  options: InspectOptions,
): Promise<number> {
  const rate = countingRate(rendition.sampleRate);
  const run = await runner.run({
    tool: 'ffmpeg',
    args: [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'error',
      ...inputGuardArgs(),
      '-i',
      fileUrl(rendition.path),
      ...countingOutputArgs(0, 3, rate, rendition.relabelChannels),
    ],
    countedPipes: 1,
    countingRates: [rate],
    ...options,
  });
  if (run.exitCode !== 0) {
    const line = run.stderrTail.at(-1);
    throw new MediaError(
      'verification_failed',
      `the ${rendition.format} rendition could not be decoded back: ` +
        `${line ? readableToolLine(line) : `exit ${run.exitCode}`}`,
      { format: rendition.format },
    );
  }
  return run.countedBytes[0] / rate;
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

const HASH_CHUNK_BYTES = 1024 * 1024;

/**
 * Size and sha256 of a file, read through one reused buffer: a stream
 * would allocate a new buffer per chunk, and hundreds of megabytes of
 * short-lived buffers per track kept the garbage collector busy.
 */
async function hashFile(
  path: string,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  const file = await open(path, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, bytes);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
    }
  } finally {
    await file.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}
