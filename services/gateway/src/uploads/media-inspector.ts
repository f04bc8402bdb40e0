import type { Config } from '@ingest/config';
import { ApiError } from '@ingest/core';
import {
  createMediaTools,
  isMediaError,
  looksLikeAudio,
  readTags,
} from '@ingest/media';
import type { Logger } from '@ingest/telemetry';
import type { SourceInspector } from './source-inspector';

const PROBE_TIMEOUT_MS = 60_000;

/**
 * Inspects sources with the media adapter: refuses what is no audio
 * container at all, names the container, reads the tags. A container
 * whose audio fails to decode is accepted here; the transcoder errors
 * the upload with the decoder's reason.
 */
export function mediaInspector(config: Config, logger: Logger): SourceInspector {
  const tools = createMediaTools({
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    logger,
  });

  return {
    async inspect(path) {
      const sniff = await looksLikeAudio(path);
      if (!sniff.audio) {
        throw new ApiError('not_audio', `source is not audio: ${sniff.reason}`);
      }

      let format = sniff.container;
      let seconds: number | undefined;
      try {
        const probe = await tools.probeSource(path, {
          timeoutMs: PROBE_TIMEOUT_MS,
        });
        format = probe.container;
        seconds = probe.headerDurationS ?? undefined;
      } catch (err) {
        if (!isMediaError(err)) throw err;
      }

      const { fields } = await readTags(path);
      const tags = { ...fields } as Record<string, string>;
      return seconds ? { format, tags, seconds } : { format, tags };
    },
  };
}
