import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

import {
  fileUrl,
  normalizeContainer,
  sourceGuardArgs,
} from './audio-containers';
import {
  dsdPcmRate,
  isOutputFormat,
  type OutputFormat,
  type SampleKind,
} from './encoding-policy';
import type { ToolRunner } from './ffmpeg-runner';
import { MediaError } from './media-error';
import { readMp3Frames } from './mp3-frames';
import { readOggChain } from './ogg-chain';
import { readDeclaredPcmLength } from './pcm-header';
import { ESTIMATED, unreadableReason } from './probe-complaint';
import {
  readCafShortfall,
  readDeclaredSizedLength,
  type CafShortfall,
} from './sized-header';

/** The first audio stream of a file, as ffprobe describes it. */
export interface AudioStreamFacts {
  /** Absolute stream index in the file. */
  index: number;
  /** ffmpeg codec name: mp3, flac, pcm_s24le, aac, vorbis… */
  codec: string;
  sampleRate: number;
  channels: number;
  /** e.g. "stereo"; null when the file does not say. */
  channelLayout: string | null;
  /** int (PCM, lossless), float (PCM float) or lossy. */
  sampleKind: SampleKind;
  /**
   * Bits per stored sample: 16, 24, 32 for float, 8 for 8-bit and
   * A-law/µ-law, 4 for IMA ADPCM; null for lossy codecs.
   */
  bitDepth: number | null;
  /**
   * Bits per second, when known: null for an mp3 whose frames differ
   * (ffprobe reads only the first ones).
   */
  bitrate: number | null;
}

/** Facts about a stored source, for planning and truncation checks. */
export interface SourceProbe {
  path: string;
  bytes: number;
  /** Normalized container: mp3, wav, aiff, flac, ogg, m4a, aac… */
  container: string;
  /** ffprobe's raw demuxer name, for logs. */
  formatName: string;
  /** The container when it is one of the rendition formats, else null. */
  outputFormat: OutputFormat | null;
  audio: AudioStreamFacts | null;
  /** Overall bitrate, bits per second, when known. */
  bitrate: number | null;
  /** What the header claims, in seconds; null when it claims nothing. */
  headerDurationS: number | null;
  /**
   * True when the container declares the length (WAV/AIFF sizes, FLAC
   * STREAMINFO, MP3 Xing/VBRI frame count, MP4 header, Ogg granule); false
   * when it was only estimated from the bitrate. Only a reliable header
   * duration is evidence of truncation.
   */
  headerDurationReliable: boolean;
  /**
   * Links of a chained Ogg (Ogg files joined end to end), 1 for any other
   * file; `formatChanges` when their rate or channel count differ, or
   * when an mp3's frames change them (parts joined: mp3-frames.ts),
   * `codecs` the links' codecs in order.
   */
  chain: { links: number; formatChanges: boolean; codecs: string[] };
  /** An embedded picture (ID3 APIC, FLAC PICTURE, MP4 covr) exists. */
  hasCover: boolean;
  /**
   * That picture, when ffmpeg can copy it into ID3: its position among
   * the file's video streams (ffprobe 6 and ffmpeg 4.1 may number streams
   * differently, so absolute indexes are not passed between them).
   */
  cover: { videoOrdinal: number; codec: string } | null;
}

interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  sample_fmt?: string;
  bits_per_sample?: number;
  bits_per_raw_sample?: string;
  bit_rate?: string;
  duration?: string;
  width?: number;
  height?: number;
  disposition?: { attached_pic?: number };
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; bit_rate?: string };
}

export interface ProbeOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function probeSource(
  runner: ToolRunner,
  path: string,
  options: ProbeOptions,
): Promise<SourceProbe> {
  const absolute = resolve(path);
  const bytes = (await stat(absolute)).size;
  if (bytes === 0) {
    throw new MediaError('empty_file', 'the file is empty (0 bytes)');
  }

  const run = await runner.run({
    tool: 'ffprobe',
    args: [
      '-hide_banner',
      '-v',
      'warning',
      ...(await sourceGuardArgs(absolute)),
      '-show_format',
      '-show_streams',
      '-of',
      'json',
      fileUrl(absolute),
    ],
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    captureStdout: true,
  });

  const parsed = parseJson(run.stdout);
  if (run.exitCode !== 0 || !parsed?.format) {
    const cut = await readCafShortfall(absolute);
    if (cut) throw cafTruncated(cut);
    throw new MediaError(
      'undecodable',
      `not a readable audio file: ${unreadableReason(run.stderrHead, absolute)}`,
      { exitCode: run.exitCode },
    );
  }

  const estimated = run.stderrHead.some((l) => l.includes(ESTIMATED));
  return describe(absolute, bytes, parsed, estimated);
}

/**
 * A CAF cut before its packet table: nothing decodes, and the length in
 * time was in the lost table, so the bytes are the evidence (SPEC §3).
 */
function cafTruncated(cut: CafShortfall): MediaError {
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const share =
    cut.declaredBytes > 0 ? Math.floor((100 * cut.presentBytes) / cut.declaredBytes) : 0;
  return new MediaError(
    'truncated',
    `truncated: the CAF header declares ${kib(cut.declaredBytes)} KiB of ` +
      `audio, ${kib(cut.presentBytes)} KiB (${share}%) present, 0 s ` +
      'decodable: its packet table, which comes after the audio and says ' +
      'where each frame lies and how long the track is, was cut off. ' +
      'Upload the whole file again',
    { ...cut, headerDurationS: null, decodedDurationS: 0 },
  );
}

async function describe(
  path: string,
  bytes: number,
  output: FfprobeOutput,
  estimated: boolean,
): Promise<SourceProbe> {
  const formatName = output.format?.format_name ?? 'unknown';
  const container = normalizeContainer(formatName);
  const streams = output.streams ?? [];
  const audioStreams = streams.filter((s) => s.codec_type === 'audio');
  const audioStream = audioStreams[0];
  const videos = streams.filter((s) => s.codec_type === 'video');
  const picture = videos.find((s) => s.disposition?.attached_pic === 1);

  const frames = container === 'mp3' ? await readMp3Frames(path) : null;
  const chain = frames?.formatChanges
    ? { links: 1, formatChanges: true, codecs: [] }
    : await chainOf(path, container, audioStreams.length);
  const header =
    chain.links > 1
      ? // Its last granule counts the last link only, at the first's rate.
        { durationS: toNumber(output.format?.duration), reliable: false }
      : await headerDuration(path, container, output, estimated, audioStreams);
  const audio = audioStream ? audioFacts(audioStream) : null;
  // ffprobe's bitrate is the first frames': only a 320 kb/s one decides
  // anything (mp3AsIs), and it holds only if every frame has it, in one
  // format.
  if (frames && (frames.oneBitrate === false || frames.formatChanges) && audio) {
    audio.bitrate = null;
  }
  return {
    path,
    bytes,
    container,
    formatName,
    outputFormat: isOutputFormat(container) ? container : null,
    audio,
    bitrate: toNumber(output.format?.bit_rate),
    headerDurationS: header.durationS,
    headerDurationReliable: header.reliable,
    chain,
    hasCover: picture !== undefined,
    cover:
      picture && isCopyableCover(picture)
        ? {
            videoOrdinal: videos.indexOf(picture),
            codec: picture.codec_name ?? '',
          }
        : null,
  };
}

async function chainOf(
  path: string,
  container: string,
  audioStreams: number,
): Promise<SourceProbe['chain']> {
  const single = { links: 1, formatChanges: false, codecs: [] };
  if (container !== 'ogg') return single;
  const walked = await readOggChain(path);
  const audio = walked?.streams.filter((s) => s.sampleRate > 0) ?? [];
  // Streams ffprobe lists side by side are multiplexed, not chained.
  if (!walked || audio.length <= Math.max(audioStreams, 1)) return single;
  return {
    links: audio.length,
    formatChanges: walked.formatChanges,
    codecs: audio.map((s) => s.codec),
  };
}

// Containers whose chunks declare their length (sized-header.ts).
const SIZED_CONTAINERS = new Set(['w64', 'caf', 'wma', 'dsf', 'dff']);

async function headerDuration(
  path: string,
  container: string,
  output: FfprobeOutput,
  estimated: boolean,
  audioStreams: FfprobeStream[],
): Promise<{ durationS: number | null; reliable: boolean }> {
  if (container === 'wav' || container === 'aiff') {
    const declared = await readDeclaredPcmLength(path);
    if (declared) return { durationS: declared.durationS, reliable: true };
  }
  if (SIZED_CONTAINERS.has(container)) {
    const declared = await readDeclaredSizedLength(path);
    if (declared !== null) return { durationS: declared, reliable: true };
  }
  // A container lasts as long as its longest stream, and only the first
  // audio stream is decoded: beside a longer second one, its own length
  // is what it declares, or a whole 3 s stream reads as a truncated 6 s.
  const first =
    audioStreams.length > 1 ? toNumber(audioStreams[0].duration) : null;
  const durationS = first ?? toNumber(output.format?.duration);
  return { durationS, reliable: durationS !== null && !estimated };
}

/** The codec of an audio stream ffprobe names none for. */
export const UNKNOWN_CODEC = 'unknown';

function audioFacts(stream: FfprobeStream): AudioStreamFacts {
  const codec = stream.codec_name ?? UNKNOWN_CODEC;
  const { sampleKind, bitDepth } = sampleFormatOf(stream, codec);
  const rate = toNumber(stream.sample_rate) ?? 0;
  return {
    index: stream.index,
    codec,
    sampleRate: isDsd(codec) ? dsdPcmRate(rate) : rate,
    channels: stream.channels ?? 0,
    channelLayout: stream.channel_layout ?? null,
    sampleKind,
    bitDepth,
    bitrate: toNumber(stream.bit_rate),
  };
}

const LOSSLESS_CODECS = new Set([
  'flac',
  'alac',
  'wavpack',
  'ape',
  'tta',
  'mlp',
  'truehd',
]);

export function sampleFormatOf(
  stream: Pick<
    FfprobeStream,
    'sample_fmt' | 'bits_per_sample' | 'bits_per_raw_sample'
  >,
  codec: string,
): { sampleKind: SampleKind; bitDepth: number | null } {
  const raw = toNumber(stream.bits_per_raw_sample) ?? 0;
  const coded = stream.bits_per_sample ?? 0;
  const floatFormat = /^(flt|dbl)p?$/.test(stream.sample_fmt ?? '');

  if (codec.startsWith('pcm_')) {
    const float = /^pcm_f(16|24|32|64)/.test(codec);
    const bits = coded || raw || Number(/(\d+)/.exec(codec)?.[1] ?? 0);
    return { sampleKind: float ? 'float' : 'int', bitDepth: bits || null };
  }
  if (codec.startsWith('adpcm_')) {
    return { sampleKind: 'int', bitDepth: coded || null };
  }
  // DSD (1 bit at 8× the rate ffmpeg reports) decodes to float.
  if (isDsd(codec)) {
    return { sampleKind: 'float', bitDepth: 1 };
  }
  // DTS-HD Master Audio decodes to integers, a lossy DTS core to float.
  const lossless =
    LOSSLESS_CODECS.has(codec) ||
    (codec === 'dts' && /^s(16|32)p?$/.test(stream.sample_fmt ?? ''));
  if (lossless) {
    if (floatFormat) return { sampleKind: 'float', bitDepth: 32 };
    return { sampleKind: 'int', bitDepth: raw || bitsOfFormat(stream) };
  }
  return { sampleKind: 'lossy', bitDepth: null };
}

function isDsd(codec: string): boolean {
  return codec.startsWith('dsd_') || codec === 'dst';
}

function bitsOfFormat(stream: Pick<FfprobeStream, 'sample_fmt'>) {
  const match = /^(u8|s16|s32|s64)/.exec(stream.sample_fmt ?? '');
  if (!match) return null;
  return match[1] === 'u8' ? 8 : Number(match[1].slice(1));
}

/**
 * ID3 APIC in ffmpeg 4.1 takes PNG, JPEG and BMP. The codec name comes
 * from the frame's MIME type, so a picture is copyable only when ffprobe
 * also found its size: one of 0×0 is not an image (random bytes labelled
 * image/jpeg), and ffmpeg cannot set up an output stream for it.
 */
function isCopyableCover(stream: FfprobeStream): boolean {
  const codec = stream.codec_name;
  const known = codec === 'mjpeg' || codec === 'png' || codec === 'bmp';
  return known && (stream.width ?? 0) > 0 && (stream.height ?? 0) > 0;
}

function parseJson(text: string): FfprobeOutput | null {
  try {
    return JSON.parse(text) as FfprobeOutput;
  } catch {
    return null;
  }
}

function toNumber(value: string | number | undefined): number | null {
  if (value === undefined || value === 'N/A') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}
