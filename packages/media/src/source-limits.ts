import type { PolicyInput } from './encoding-policy';
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

export type SourceLimitCode = Extract<MediaErrorCode, 'too_many_channels'>;

/** Why no rendition can be made from a source, for a person. */
export interface SourceLimitProblem {
  code: SourceLimitCode;
  message: string;
}

/** The problem with a source's facts, or null when renditions can be made. */
export function sourceLimitProblem(
  source: Pick<PolicyInput, 'channels' | 'sampleRate'>,
): SourceLimitProblem | null {
  if (source.channels > MAX_CHANNELS) {
    return {
      code: 'too_many_channels',
      message:
        `source has ${source.channels} audio channels; renditions hold ` +
        `at most ${MAX_CHANNELS} (7.1 surround): mix it down to ` +
        `${MAX_CHANNELS} or fewer (stereo for music) and upload it again`,
    };
  }
  return null;
}
