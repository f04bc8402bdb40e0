import type { Config } from '@ingest/config';
import { ApiError } from '@ingest/core';
import {
  createMediaTools,
  durationLimitProblem,
  isMediaError,
  looksLikeAudio,
  mp3AsIs,
  readTags,
  sourceLimitProblem,
  type SourceProbe,
} from '@ingest/media';
import type { Logger } from '@ingest/telemetry';
import type { SourceInspector } from './source-inspector';

const PROBE_TIMEOUT_MS = 60_000;

/**
 * Inspects sources with the media adapter: refuses what is no audio
 * container at all, and audio no rendition can be made from (too many
 * channels, a sample rate out of range, longer than INGEST_MAX_DURATION
 * by what its header declares), names the container, reads the
 * tags. A container whose audio fails to decode is accepted here; the
 * transcoder errors the upload with the decoder's reason.
 */
export function mediaInspector(config: Config, logger: Logger): SourceInspector {
  const tools = createMediaTools({
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    logger,
  });

  return {
    async inspect(path, options = {}) {
      const sniff = await looksLikeAudio(path);
      if (!sniff.audio) {
        // An audio format we name is audio: its reason stands alone.
        const message = sniff.unsupported
          ? sniff.reason
          : `source is not audio: ${sniff.reason}`;
        throw new ApiError('not_audio', message);
      }

      let probe: SourceProbe | undefined;
      try {
        probe = await tools.probeSource(path, { timeoutMs: PROBE_TIMEOUT_MS });
      } catch (err) {
        if (!isMediaError(err)) throw err;
      }
      const seconds = probe?.headerDurationS ?? undefined;
      // Only a declared length: ffprobe's estimate from the first frames'
      // bitrate (an mp3 without a Xing header) may be many times the real
      // one; the transcode stops a source that decodes past the limit.
      const declared = probe?.headerDurationReliable ? seconds : undefined;
      const problem = probe?.audio
        ? (sourceLimitProblem(probe.audio) ??
          durationLimitProblem(declared, config.maxDurationMs / 1000, 'declared'))
        : null;
      if (problem) throw new ApiError(problem.code, problem.message);

      const format = probe?.container ?? sniff.container;
      const { fields, custom } = await readTags(path, options);
      const tags: Record<string, string> = { ...fields, ...custom };
      return {
        format,
        tags,
        ...(seconds ? { seconds } : {}),
        ...(probe && mp3AsIs(probe) ? { asIs: true } : {}),
      };
    },
  };
}
