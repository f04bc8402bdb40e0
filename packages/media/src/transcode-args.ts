import { fileUrl, inputGuardArgs } from './audio-containers';
import { relabelArgs } from './channel-layouts';
import {
  encodingFor,
  flacSampleFormat,
  mp3SampleFormat,
  streamCopyFor,
  type EncodingSettings,
  type OutputFormat,
  type PolicyInput,
} from './encoding-policy';
import { MediaError } from './media-error';
import { containerTags, type TrackMetadata } from './metadata-keys';
import { DURATION_READ_MARGIN_S, renditionByteCap } from './source-limits';

/**
 * Builds the argv of the single transcode pass (pure, so the command a
 * plan produces is unit-tested without running ffmpeg).
 *
 * Layout: input 0 is the primary source, then each distinct same-format
 * source, then the cover image if one was given as a file. Outputs: every
 * rendition, then one sample-counting output per source input on fd 3, 4…
 * so each source is decoded once and measured in the same pass.
 */

/**
 * Decoded audio is counted as unsigned 8-bit mono at a given rate, so one
 * byte is one sample frame. Counting at the rate the audio already has
 * costs ffmpeg almost nothing; resampling to a low rate, as an earlier
 * version did, cost more than the rest of the counting.
 */
export function countingRate(sampleRate: number | null | undefined): number {
  return sampleRate && Number.isFinite(sampleRate) && sampleRate > 0
    ? Math.round(sampleRate)
    : FALLBACK_COUNT_RATE;
}

const FALLBACK_COUNT_RATE = 8000;

export interface ArgsInput {
  path: string;
  policy: PolicyInput;
  /**
   * Seconds to read at most: the exact length the container declares
   * where ffmpeg 4.1 decodes the encoder's padding past it (endOf).
   */
  endS?: number | null;
  /**
   * Its speaker layout is one ffmpeg cannot mix (channel-layouts.ts):
   * the outputs that mix it relabel it first.
   */
  relabel?: boolean;
}

export interface ArgsRendition {
  format: OutputFormat;
  path: string;
  /** Index into `inputs` of the source this rendition is made from. */
  input: number;
  /** Take the audio packets as they are (mp3 from an mp3 source). */
  copy: boolean;
}

export type ArgsCover =
  | { kind: 'none' }
  | { kind: 'stream'; input: number; videoOrdinal: number }
  | { kind: 'file'; path: string; demuxer: 'png_pipe' | 'jpeg_pipe' }
  /** The picture embedded in another audio file, read for it alone. */
  | { kind: 'embedded'; path: string; videoOrdinal: number };

export interface TranscodeArgsPlan {
  inputs: ArgsInput[];
  renditions: ArgsRendition[];
  metadata: TrackMetadata;
  cover: ArgsCover;
  /**
   * Longest source allowed, seconds: each input is read to at most a
   * margin past it, and each rendition held to the bytes that makes.
   */
  maxDurationS?: number;
  /**
   * Bytes any one rendition may take at most (the site's remaining
   * quota): its `-fs` is the lower of this and the duration's limit.
   */
  maxBytes?: number;
}

export interface TranscodeArgs {
  args: string[];
  settings: EncodingSettings[];
  /** Each rendition's `-fs` byte limit, when maxDurationS was given. */
  byteCaps: Array<number | null>;
  /** Each rendition's `-fs`: the lower of its byteCap and maxBytes. */
  fsCaps: Array<number | null>;
  /** Counted pipes, one per entry of `inputs`, starting at fd 3. */
  countedPipes: number;
  /** Bytes per second of audio on each counted pipe, in fd order. */
  countingRates: number[];
}

/** How a rendition is encoded from its input. */
export function renditionEncoding(
  rendition: Pick<ArgsRendition, 'format' | 'input' | 'copy'>,
  inputs: Pick<ArgsInput, 'policy'>[],
): EncodingSettings {
  const source = inputs[rendition.input].policy;
  return rendition.copy
    ? streamCopyFor(source)
    : encodingFor(rendition.format, source);
}

export function buildTranscodeArgs(plan: TranscodeArgsPlan): TranscodeArgs {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];
  args.push('-y');

  const readS = plan.maxDurationS && plan.maxDurationS + DURATION_READ_MARGIN_S;
  for (const input of plan.inputs) {
    const endS = Math.min(input.endS || Infinity, readS || Infinity);
    if (Number.isFinite(endS)) args.push('-t', endS.toFixed(6));
    args.push(...inputGuardArgs(), '-i', fileUrl(input.path));
  }

  let coverMap: string | null = null;
  if (plan.cover.kind === 'file') {
    // An image input gets its own whitelist: one still picture, by name.
    args.push(
      '-f',
      plan.cover.demuxer,
      '-format_whitelist',
      plan.cover.demuxer,
      '-protocol_whitelist',
      'file',
      '-i',
      fileUrl(plan.cover.path),
    );
    coverMap = `${plan.inputs.length}:v:0`;
  } else if (plan.cover.kind === 'embedded') {
    // Only its picture is mapped: its audio is neither decoded nor counted.
    args.push(...inputGuardArgs(), '-i', fileUrl(plan.cover.path));
    coverMap = `${plan.inputs.length}:v:${plan.cover.videoOrdinal}?`;
  } else if (plan.cover.kind === 'stream') {
    // '?': ffmpeg 4.1 may not see a picture that ffprobe 6 found (e.g. in
    // a WAV's ID3 chunk); the mp3 then simply has no cover.
    coverMap = `${plan.cover.input}:v:${plan.cover.videoOrdinal}?`;
  }

  const settings: EncodingSettings[] = [];
  const byteCaps: Array<number | null> = [];
  const fsCaps: Array<number | null> = [];
  for (const rendition of plan.renditions) {
    const encoding = renditionEncoding(rendition, plan.inputs);
    const byteCap = readS ? renditionByteCap(encoding, readS) : null;
    const least = Math.min(byteCap ?? Infinity, plan.maxBytes ?? Infinity);
    const fsCap = Number.isFinite(least) ? Math.max(1, Math.floor(least)) : null;
    settings.push(encoding);
    byteCaps.push(byteCap);
    fsCaps.push(fsCap);
    const source = plan.inputs[rendition.input];
    args.push(
      ...outputArgs(rendition, encoding, plan.metadata, coverMap, fsCap, source),
    );
  }

  const countingRates = plan.inputs.map((input) =>
    countingRate(input.policy.sampleRate),
  );
  countingRates.forEach((rate, index) => {
    const { policy, relabel } = plan.inputs[index];
    args.push(
      ...countingOutputArgs(index, 3 + index, rate, relabel ? policy.channels : undefined),
    );
  });
  checkArgvSize(args, plan.metadata, plan.renditions.length);
  return {
    args,
    settings,
    byteCaps,
    fsCaps,
    countedPipes: plan.inputs.length,
    countingRates,
  };
}

/**
 * Linux will not start a program given one argument over 128 KiB
 * (MAX_ARG_STRLEN, with its NUL) or arguments and environment over
 * ARG_MAX (2 MiB with the usual 8 MiB stack). Tags travel as arguments,
 * one copy per rendition, so the argv is held under both before ffmpeg is
 * started: a track whose tags cannot be written gets a reason, not a
 * failed exec that a retry repeats. The total leaves 512 KiB for the
 * environment.
 */
export const ARGV_LIMITS = {
  argBytes: 128 * 1024,
  totalBytes: 1536 * 1024,
};

function checkArgvSize(
  args: string[],
  metadata: TrackMetadata,
  renditions: number,
): void {
  // Each argument costs its bytes, its NUL and its pointer.
  const sizes = args.map((arg) => Buffer.byteLength(arg) + 1);
  const total = sizes.reduce((sum, size) => sum + size + 8, 0);
  const longest = Math.max(...sizes);
  if (longest <= ARGV_LIMITS.argBytes && total <= ARGV_LIMITS.totalBytes) {
    return;
  }

  const tags = Object.entries(metadata).map(
    ([field, value]) => [field, Buffer.byteLength(String(value ?? ''))] as const,
  );
  const tagBytes = tags.reduce((sum, [, bytes]) => sum + bytes, 0);
  const [field, fieldBytes] = tags.reduce(
    (big, tag) => (tag[1] > big[1] ? tag : big),
    ['', 0] as readonly [string, number],
  );
  throw new MediaError(
    'tags_too_large',
    `the track's tags are too large to write: ${kib(tagBytes)} KiB in ` +
      `all, the largest (${field.slice(0, 100)}) ${kib(fieldBytes)} KiB, ` +
      `written into ${renditions} rendition(s); one tag may hold at most ` +
      `${kib(ARGV_LIMITS.argBytes) - 1} KiB and all of them about ` +
      `${kib(ARGV_LIMITS.totalBytes / Math.max(renditions, 1))} KiB`,
    { tagBytes, field, fieldBytes, argvBytes: total, longestArg: longest },
  );
}

function kib(bytes: number): number {
  return Math.ceil(bytes / 1024);
}

/**
 * An output that decodes input `input` and streams it to fd `fd` as
 * `rate` bytes a second. Should ffmpeg decode at another rate than the
 * one asked for, it resamples, so the byte count still measures time.
 * `relabelChannels`: set when the input's layout is one ffmpeg cannot
 * mix (channel-layouts.ts), its channel count, relabelled before the mix.
 */
export function countingOutputArgs(
  input: number,
  fd: number,
  rate: number,
  relabelChannels?: number,
): string[] {
  return [
    '-map',
    `${input}:a:0`,
    ...(relabelChannels ? relabelArgs(relabelChannels) : []),
    '-ac',
    '1',
    '-ar',
    String(rate),
    '-c:a',
    'pcm_u8',
    // Fill the 32 KiB I/O buffer before writing: flushing every packet
    // (ffmpeg's way on a pipe) made ~1 KiB writes, 0.3–0.5 s of system
    // time on a 5-minute 96 kHz track.
    '-flush_packets',
    '0',
    '-f',
    'u8',
    `pipe:${fd}`,
  ];
}

function outputArgs(
  rendition: ArgsRendition,
  encoding: EncodingSettings,
  metadata: TrackMetadata,
  coverMap: string | null,
  byteCap: number | null,
  source: ArgsInput,
): string[] {
  // Audio is mapped explicitly, so nothing else rides along by default.
  const args = ['-map', `${rendition.input}:a:0`];

  if (rendition.format === 'mp3' && coverMap) {
    args.push(
      '-map',
      coverMap,
      '-c:v',
      'copy',
      '-disposition:v:0',
      'attached_pic',
      '-metadata:s:v:0',
      'title=Album cover',
      '-metadata:s:v:0',
      'comment=Cover (front)',
    );
  }

  // mp3 is the one rendition mixed (to at most stereo).
  if (rendition.format === 'mp3' && !rendition.copy && source.relabel) {
    args.push(...relabelArgs(source.policy.channels));
  }
  args.push('-c:a', encoding.codec, ...formatArgs(rendition, encoding, source));

  // Tags come from the track's metadata only, never from the source.
  // They stay on the command line (checkArgvSize bounds them): ffmpeg
  // 4.1's ffmetadata reader cuts every line at 1 KiB, so a file of tags
  // would lose long lyrics.
  args.push('-map_metadata', '-1', '-map_chapters', '-1');
  for (const [key, value] of containerTags(rendition.format, metadata)) {
    args.push('-metadata', `${key}=${value}`);
  }

  // Same input, same bytes: a re-run after a crash writes identical files.
  args.push('-fflags', '+bitexact');
  if (!rendition.copy) args.push('-flags:a', '+bitexact');

  if (byteCap) args.push('-fs', String(byteCap));
  args.push('-f', muxerOf(rendition.format), fileUrl(rendition.path));
  return args;
}

function formatArgs(
  rendition: ArgsRendition,
  encoding: EncodingSettings,
  source: ArgsInput,
): string[] {
  switch (rendition.format) {
    case 'mp3': {
      const tags = ['-id3v2_version', '3', '-write_xing', '1'];
      if (rendition.copy) return tags;
      const sampleFormat = mp3SampleFormat(source.policy);
      return [
        ...(sampleFormat ? ['-sample_fmt', sampleFormat] : []),
        '-b:a',
        String(encoding.bitrate),
        '-ar',
        String(encoding.sampleRate),
        '-ac',
        String(encoding.channels),
        ...tags,
      ];
    }
    // The rate is the source's as ffprobe gives it, but for DSD, which
    // decodes at a higher one (dsdPcmRate).
    case 'wav':
      return ['-ar', String(encoding.sampleRate), '-rf64', 'auto'];
    case 'aiff':
      return [
        '-ar',
        String(encoding.sampleRate),
        '-write_id3v2',
        '1',
        '-id3v2_version',
        '3',
      ];
    case 'flac':
      return [
        '-ar',
        String(encoding.sampleRate),
        '-sample_fmt',
        flacSampleFormat(encoding.bitDepth ?? 16),
      ];
  }
}

function muxerOf(format: OutputFormat): string {
  return format;
}
