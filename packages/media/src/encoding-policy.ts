/**
 * What each rendition must look like (SPEC §3 "Renditions"), as pure
 * decisions from the source's facts. Kept free of I/O so the rules are
 * unit-tested on their own.
 */

/** Formats the pipeline can produce. */
export const OUTPUT_FORMATS = ['mp3', 'wav', 'aiff', 'flac'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** How a source stores its samples, as far as the policy cares. */
export type SampleKind = 'int' | 'float' | 'lossy';

/** The source facts the policy reads. */
export interface PolicyInput {
  sampleRate: number;
  channels: number;
  sampleKind: SampleKind;
  /** Bits per stored sample; null when the codec has no such notion. */
  bitDepth: number | null;
}

export const MP3_BITRATE = 320_000;
export const MP3_MAX_CHANNELS = 2;

/**
 * mp3 sample rate: 44.1 or 48 kHz. A rate of either family (88.2k, 96k…)
 * goes down to its base so resampling ratios stay integral; rates below
 * 44.1 kHz go up to 44.1 kHz; any other rate takes the nearer base.
 */
export function mp3SampleRate(sourceRate: number): 44_100 | 48_000 {
  if (sourceRate >= 48_000 && sourceRate % 48_000 === 0) return 48_000;
  if (sourceRate >= 44_100 && sourceRate % 44_100 === 0) return 44_100;
  if (sourceRate < 44_100) return 44_100;
  const to441 = Math.abs(sourceRate - 44_100);
  const to48 = Math.abs(sourceRate - 48_000);
  return to441 < to48 ? 44_100 : 48_000;
}

/**
 * PCM rate of a DSD source's renditions: ffmpeg decodes DSD to float at
 * an eighth of its bit rate, 352.8 kHz for DSD64 (2.8224 MHz), the DXD
 * rate DSD is edited at. DSD128 and above decode at 705.6 kHz and more,
 * past what renditions allow, and are halved down to 352.8 kHz. A rate
 * off the standard ones is rounded to whole hertz: ffmpeg's `-ar` takes
 * no fraction, and each try of the transcode failed on one.
 */
export function dsdPcmRate(decodedRate: number): number {
  let rate = decodedRate;
  while (rate > DSD_PCM_RATE) rate /= 2;
  return Math.round(rate);
}

const DSD_PCM_RATE = 352_800;

/** mp3 holds at most stereo; more channels are downmixed to two. */
export function mp3Channels(sourceChannels: number): number {
  return Math.min(Math.max(sourceChannels, 1), MP3_MAX_CHANNELS);
}

/**
 * Lossless bit depth: 16 or 24 only. Float and anything wider than 16-bit
 * integer become 24-bit (32-bit int loses its low byte, which no real
 * recording fills); 8-bit, companded (A-law/µ-law) and ADPCM become 16.
 * A lossy source has no bit depth to keep: 16-bit holds all it carries.
 */
export function losslessBitDepth(source: PolicyInput): 16 | 24 {
  if (source.sampleKind === 'float') return 24;
  if (source.sampleKind === 'lossy') return 16;
  return source.bitDepth !== null && source.bitDepth > 16 ? 24 : 16;
}

/** The encoder settings of one rendition. */
export interface EncodingSettings {
  format: OutputFormat;
  /** ffmpeg encoder name, or 'copy' for a stream copy. */
  codec: string;
  sampleRate: number;
  channels: number;
  /** Lossless only. */
  bitDepth: 16 | 24 | null;
  /** mp3 only, bits per second. */
  bitrate: number | null;
}

const PCM_CODECS: Record<'wav' | 'aiff', Record<16 | 24, string>> = {
  wav: { 16: 'pcm_s16le', 24: 'pcm_s24le' },
  aiff: { 16: 'pcm_s16be', 24: 'pcm_s24be' },
};

/** Settings for a rendition encoded from the given source. */
export function encodingFor(
  format: OutputFormat,
  source: PolicyInput,
): EncodingSettings {
  if (format === 'mp3') {
    return {
      format,
      codec: 'libmp3lame',
      sampleRate: mp3SampleRate(source.sampleRate),
      channels: mp3Channels(source.channels),
      bitDepth: null,
      bitrate: MP3_BITRATE,
    };
  }

  const bitDepth = losslessBitDepth(source);
  const codec = format === 'flac' ? 'flac' : PCM_CODECS[format][bitDepth];
  return {
    format,
    codec,
    sampleRate: source.sampleRate,
    channels: source.channels,
    bitDepth,
    bitrate: null,
  };
}

/**
 * Whether an mp3 source already is what an mp3 rendition must be (SPEC
 * §3): 320 kb/s at 44.1 or 48 kHz, mono or stereo, in an mp3 file. Such
 * a source becomes the mp3 rendition as it is, tags rewritten: encoding
 * it again would only lose. Any other mp3 is encoded like any source.
 * (ffprobe reads a bitrate from the first frames only; the probe drops
 * it when the frames differ, e.g. a 320k part joined to a 128k one:
 * mp3-frames.ts.) mp3 audio in another container (a WAV's format 0x55,
 * Matroska) is encoded too: its packets copied into an mp3 file made one
 * that could not be decoded back (from a WAV) or lost 0.1 s (from
 * Matroska), and the upload failed verification.
 */
export function mp3AsIs(source: {
  container: string;
  audio: {
    codec: string;
    sampleRate: number;
    channels: number;
    bitrate: number | null;
  } | null;
}): boolean {
  const { container, audio } = source;
  return (
    container === 'mp3' &&
    audio !== null &&
    audio.codec === 'mp3' &&
    audio.bitrate === MP3_BITRATE &&
    (audio.sampleRate === 44_100 || audio.sampleRate === 48_000) &&
    audio.channels <= MP3_MAX_CHANNELS
  );
}

/**
 * The sample format the mp3 encoder takes from a source, when not its
 * own: a float source's samples go in as 32-bit integers. LAME aborts
 * the whole process (an assertion in its psychoacoustic model) on a
 * sample that is not a number or infinite, which a float WAV can hold
 * where its writer failed; as integers they are full scale, a click,
 * and every rendition is made. A float beyond full scale is clipped, as
 * the 24-bit lossless renditions of it are.
 */
export function mp3SampleFormat(source: PolicyInput): 's32p' | null {
  return source.sampleKind === 'float' ? 's32p' : null;
}

/** Settings for an mp3 taken from an mp3 source as it is. */
export function streamCopyFor(source: PolicyInput): EncodingSettings {
  return {
    format: 'mp3',
    codec: 'copy',
    sampleRate: source.sampleRate,
    channels: source.channels,
    bitDepth: null,
    bitrate: null,
  };
}

/** ffmpeg's sample_fmt for the flac encoder at a bit depth. */
export function flacSampleFormat(bitDepth: 16 | 24): 's16' | 's32' {
  // The flac encoder writes 24-bit samples from s32 input.
  return bitDepth === 16 ? 's16' : 's32';
}
