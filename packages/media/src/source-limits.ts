import type { OutputFormat, PolicyInput } from './encoding-policy';
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
  'too_many_channels' | 'unsupported_sample_rate'
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
