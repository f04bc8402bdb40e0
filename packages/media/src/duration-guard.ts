import { stat } from 'node:fs/promises';

import { MediaError } from './media-error';
import type { SourceProbe } from './probe';
import { durationLimitProblem, spokenDuration } from './source-limits';

/**
 * The transcode's side of INGEST_MAX_DURATION. The gateway refuses a
 * source whose header says it is too long; one whose header hides its
 * length (a FLAC's total samples 0, an Ogg without a last granule) is
 * read by the pass only to a margin past the limit (transcode-args.ts)
 * and fails here, so a small file cannot fill the disk with renditions.
 */

/** A source whose reliable header already says it is too long. */
export function declaredTooLong(
  probes: SourceProbe[],
  maxS: number | undefined,
): MediaError | null {
  if (!maxS) return null;
  for (const probe of probes) {
    if (!probe.headerDurationReliable) continue;
    const problem = durationLimitProblem(probe.headerDurationS, maxS, 'declared');
    if (problem) {
      return new MediaError(problem.code, problem.message, {
        headerDurationS: probe.headerDurationS,
        maxDurationS: maxS,
      });
    }
  }
  return null;
}

/**
 * After the pass: a source that decoded past the limit, or a rendition
 * that reached its byte limit (ffmpeg then stops writing it, short).
 */
export async function decodedTooLong(
  decodedS: number[],
  outputs: Array<{ path: string; byteCap: number | null }>,
  maxS: number | undefined,
): Promise<MediaError | null> {
  if (!maxS) return null;
  for (const seconds of decodedS) {
    const problem = durationLimitProblem(seconds, maxS, 'decoded');
    if (problem) {
      return new MediaError(problem.code, problem.message, {
        decodedS: seconds,
        maxDurationS: maxS,
      });
    }
  }
  for (const { path, byteCap } of outputs) {
    const bytes = byteCap ? await sizeOf(path) : 0;
    if (byteCap && bytes >= byteCap) {
      return new MediaError(
        'source_too_long',
        `a rendition reached ${byteCap} bytes, the most ` +
          `${spokenDuration(maxS)} of audio makes (INGEST_MAX_DURATION): ` +
          'cut or split the source and upload it again',
        { path, bytes, byteCap, maxDurationS: maxS },
      );
    }
  }
  return null;
}

/** A written file's size; 0 for one ffmpeg never opened. */
export async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
