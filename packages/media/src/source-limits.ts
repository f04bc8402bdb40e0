import type {
  EncodingSettings,
  OutputFormat,
  PolicyInput,
} from './encoding-policy';
import type { MediaErrorCode } from './media-error';

/**
 * Which sources renditions can be made from, as pure decisions from a
 * probe's facts (README, "How renditions are made and checked"). The
 * gateway refuses such a source at upload, and the transcode refuses it
 * again before ffmpeg runs: a source that failed ffmpeg on every attempt
 * instead would error `internal` after the retries, with no reason a
 * person could act on.
 */

/**
 * Most channels a source may have: 8 (7.1 surround). FLAC holds no
 * more. mp3 is mixed down to stereo, and the pass measures every source
 * by a mono mixdown, which ffmpeg 4.1 makes only from a speaker layout
 * it knows: every count up to 8, beyond that only the few a file names.
 * wav and aiff could hold more, but a file of more channels is a set of
 * stems or a multitrack recording, not a catalog track.
 */
export const MAX_CHANNELS = 8;

/**
 * Lowest source sample rate, Hz: telephone audio's, and the lowest an
 * mp3 can have. Below it a rate is a damaged header, not a recording
 * (a 5 Hz header made a small file a 3.7-hour track).
 */
export const MIN_SAMPLE_RATE = 8_000;

/**
 * Highest source sample rate, Hz: the highest studio converters record
 * at (DXD is 352.8 kHz). ffmpeg's FLAC encoder stops below 655.35 kHz.
 */
export const MAX_SAMPLE_RATE = 384_000;

/**
 * FLAC frame headers give a rate in kHz, in Hz below 65535, or in tens
 * of Hz; ffmpeg 4.1's encoder refuses any other (88201 Hz, 96001 Hz).
 */
const FLAC_ANY_RATE_BELOW = 65_535;

export type SourceLimitCode = Extract<
  MediaErrorCode,
  'too_many_channels' | 'unsupported_sample_rate' | 'source_too_long'
>;

/** Why no rendition can be made from a source, for a person. */
export interface SourceLimitProblem {
  code: SourceLimitCode;
  message: string;
}

/** The problem with a source's facts, or null when renditions can be made. */
export function sourceLimitProblem(
  source: Pick<PolicyInput, 'channels' | 'sampleRate'>,
): SourceLimitProblem | null {
  const { channels, sampleRate: rate } = source;
  if (channels > MAX_CHANNELS) {
    return {
      code: 'too_many_channels',
      message:
        `source has ${channels} audio channels; renditions hold at most ` +
        `${MAX_CHANNELS} (7.1 surround): mix it down to ${MAX_CHANNELS} ` +
        'or fewer (stereo for music) and upload it again',
    };
  }

  // 0 means the probe learnt no rate: decoding then tells what there is.
  if (rate > 0 && rate < MIN_SAMPLE_RATE) {
    return {
      code: 'unsupported_sample_rate',
      message:
        `source has a sample rate of ${rate} Hz, below the ` +
        `${MIN_SAMPLE_RATE} Hz renditions need (its header may be ` +
        'damaged): export it again at a standard rate such as 44100 or ' +
        '48000 Hz and upload it again',
    };
  }
  if (rate > MAX_SAMPLE_RATE) {
    return {
      code: 'unsupported_sample_rate',
      message:
        `source has a sample rate of ${rate} Hz, above the ` +
        `${MAX_SAMPLE_RATE} Hz renditions allow: resample it to at most ` +
        `${MAX_SAMPLE_RATE} Hz (e.g. 192000) and upload it again`,
    };
  }
  return null;
}

/**
 * The problem with making one format from a source within the limits
 * above, or null. Only flac has one: its rates above 65534 Hz.
 */
export function renditionLimitProblem(
  format: OutputFormat,
  source: Pick<PolicyInput, 'sampleRate'>,
): SourceLimitProblem | null {
  const rate = source.sampleRate;
  if (format === 'flac' && rate >= FLAC_ANY_RATE_BELOW && rate % 10 !== 0) {
    return {
      code: 'unsupported_sample_rate',
      message:
        `flac cannot hold a sample rate of ${rate} Hz (above ` +
        `${FLAC_ANY_RATE_BELOW - 1} Hz only multiples of 10): resample ` +
        'the source to a standard rate such as 88200 or 96000 Hz, or ' +
        'leave flac out of its formats',
    };
  }
  return null;
}

/**
 * Seconds past the longest allowed source that a transcode reads (ffmpeg
 * `-t`), so that a source whose header hid its length is seen to be
 * longer, and stopped there rather than decoded to its end.
 */
export const DURATION_READ_MARGIN_S = 1;

/** Seconds past the limit still taken: encoder padding, rounding. */
export const DURATION_TOLERANCE_S = 0.5;

/**
 * The problem with a source's length against the longest allowed
 * (INGEST_MAX_DURATION), or null. `declared`: what its header says or
 * ffprobe estimates, at upload; `decoded`: what a transcode decoded,
 * which stops at the limit, so the whole length is not known.
 */
export function durationLimitProblem(
  seconds: number | null | undefined,
  maxS: number,
  how: 'declared' | 'decoded',
): SourceLimitProblem | null {
  if (!seconds || seconds <= maxS + DURATION_TOLERANCE_S) return null;
  const fix = ': cut or split it and upload it again';
  return {
    code: 'source_too_long',
    message:
      how === 'declared'
        ? `source lasts ${spokenDuration(seconds)}, longer than the ` +
          `${spokenDuration(maxS)} renditions are made of at most ` +
          `(INGEST_MAX_DURATION)${fix}`
        : `source decodes to more than ${spokenDuration(maxS)}, the ` +
          'longest renditions are made of (INGEST_MAX_DURATION), though ' +
          `its header did not say so${fix}`,
  };
}

/** Headers, tags and a cover a rendition holds besides its audio. */
const RENDITION_SLACK_BYTES = 64 * 1024 ** 2;

/** Bits a second of the mp3 renditions and of the mp3s copied as they are. */
const MP3_BITS_PER_SECOND = 320_000;

/**
 * Most bytes a rendition of `seconds` of audio may take (ffmpeg `-fs`):
 * its PCM size (flac writes no more, but for frame headers), or 320 kb/s
 * for mp3, plus 2% and room for tags and a cover. A backstop behind the
 * read limit: a run that reaches it wrote more than the longest allowed
 * source makes.
 */
export function renditionByteCap(
  settings: Pick<EncodingSettings, 'format' | 'sampleRate' | 'channels' | 'bitDepth'>,
  seconds: number,
): number {
  const bytesPerSecond =
    settings.format === 'mp3'
      ? MP3_BITS_PER_SECOND / 8
      : settings.sampleRate * settings.channels * ((settings.bitDepth ?? 24) / 8);
  return Math.ceil(bytesPerSecond * seconds * 1.02) + RENDITION_SLACK_BYTES;
}

/**
 * Most bytes `seconds` of PCM at `rate` Hz, `channels` and
 * `bytesPerSample` take, plus 2% and 64 KiB for a header: the `-fs` of
 * what holds decoded audio only (a chain's decoded copy, the counting
 * pipes), so that a source whose timestamps defeat `-t` is still read
 * only so far.
 */
export function pcmByteCap(
  rate: number,
  channels: number,
  bytesPerSample: number,
  seconds: number,
): number {
  return Math.ceil(rate * channels * bytesPerSample * seconds * 1.02) + 65_536;
}

/** `4 h`, `1 h 30 min`, `20 s`, for messages. */
export function spokenDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const parts = [
    [Math.floor(whole / 3600), 'h'],
    [Math.floor((whole % 3600) / 60), 'min'],
    [whole % 60, 's'],
  ] as const;
  const said = parts.filter(([n]) => n > 0).map(([n, unit]) => `${n} ${unit}`);
  return said.length > 0 ? said.join(' ') : `${seconds.toFixed(1)} s`;
}
