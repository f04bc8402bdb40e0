import path from 'node:path';
import { formatDuration, type Config } from '@ingest/config';
import { StartRefusal, type UploadErrorCode } from '@ingest/core';
import {
  createMediaTools,
  isMediaError,
  type MediaError,
  type MediaErrorCode,
  type TranscodePlan,
} from '@ingest/media';
import type { Logger } from '@ingest/telemetry';
import {
  RetryableFault,
  UploadFault,
  type MadeRendition,
  type RenditionMaker,
} from './rendition-maker';

/**
 * Media errors that are the source's fault (a retry would not help), and
 * the upload error code each becomes: its own, so clients can tell them
 * apart. An empty file is the one exception: the gateway refuses empty
 * sources, so one here lost its bytes in storage and nothing decodes.
 */
const SOURCE_FAULTS: Partial<Record<MediaErrorCode, UploadErrorCode>> = {
  empty_file: 'undecodable',
  no_audio: 'no_audio',
  undecodable: 'undecodable',
  too_short: 'too_short',
  truncated: 'truncated',
  too_many_channels: 'too_many_channels',
  unsupported_sample_rate: 'unsupported_sample_rate',
  source_too_long: 'source_too_long',
  quota_exceeded: 'quota_exceeded',
  verification_failed: 'verification_failed',
  tags_too_large: 'tags_too_large',
};

/** Check failures an operator fixes by installing or pointing at a tool. */
const TOOL_FAULTS = new Set<MediaErrorCode>([
  'tool_missing',
  'tool_not_executable',
  'tool_incomplete',
]);

/** A tool check's failure as a refusal to start, when it is one. */
function toolRefusal(err: unknown): unknown {
  if (!isMediaError(err) || !TOOL_FAULTS.has(err.code)) return err;
  return new StartRefusal(err.message, { cause: err });
}

/**
 * The order sources are offered as the primary in. The transcode takes
 * the one with the most audio information (best-source.ts in
 * @ingest/media); this order only settles ties, then the upload's order.
 */
const PREFERENCE = ['flac', 'wav', 'aiff'];

/**
 * Makes renditions with the media adapter. Checks at start that ffmpeg
 * has every encoder the policy needs, so a bad build refuses to start.
 */
export async function mediaMaker(
  config: Config,
  logger: Logger,
): Promise<RenditionMaker> {
  const tools = createMediaTools({
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    logger,
    timeoutMs: config.transcodeTimeoutMs,
  });
  const report = await tools.checkTools().catch((err: unknown) => {
    throw toolRefusal(err);
  });
  logger.info({ ...report }, 'ffmpeg checked');

  /**
   * Runs one transcode pass; a source fault becomes an UploadFault. A
   * pass from sources sent is held to INGEST_MAX_DURATION; a retag's
   * source is a published rendition of ours, which a limit lowered since
   * must not keep from its metadata updates.
   */
  async function run(plan: TranscodePlan): Promise<MadeRendition[]> {
    try {
      const result = await tools.transcode(plan);
      return result.renditions.map((r) => ({
        format: r.format,
        path: r.path,
        bytes: r.bytes,
        sha256: r.sha256,
        duration: r.durationS,
        sampleRate: r.sampleRate,
        channels: r.channels,
        codec: r.codec,
        ...(r.bitDepth ? { bitDepth: r.bitDepth } : {}),
        ...(r.bitrate ? { bitrate: r.bitrate } : {}),
      }));
    } catch (err) {
      if (!isMediaError(err)) throw err;
      const code = SOURCE_FAULTS[err.code];
      if (code) throw new UploadFault(code, err.message);
      if (err.code === 'transcode_failed') {
        throw new RetryableFault('transcode_failed', err.message, {
          cause: err,
        });
      }
      if (err.code === 'timeout') throw timeoutFault(err);
      if (err.code === 'stalled') throw stalledFault(err);
      throw err;
    }
  }

  /**
   * A run stopped at INGEST_TRANSCODE_TIMEOUT that had decoded nothing
   * for a long while: stuck on its source. Not retried, so a source that
   * hangs ffmpeg holds a slot for one limit, not three.
   */
  function stalledFault(err: MediaError): UploadFault {
    const limit = formatDuration(config.transcodeTimeoutMs);
    const quiet = Math.round(Number(err.details.quietMs) / 1000);
    return new UploadFault(
      'transcode_timeout',
      `transcode decoded nothing in its last ${quiet} s and was stopped ` +
        `at INGEST_TRANSCODE_TIMEOUT (${limit}): the source is likely ` +
        'damaged; convert it to WAV or FLAC and upload it again',
    );
  }

  /**
   * A run past INGEST_TRANSCODE_TIMEOUT that was still decoding. Retried:
   * a machine busy with other runs may finish it in time next attempt.
   * A source that slow fails every attempt, and the reason then says
   * what to do.
   */
  function timeoutFault(err: Error): RetryableFault {
    const limit = formatDuration(config.transcodeTimeoutMs);
    return new RetryableFault(
      'transcode_timeout',
      `transcode took longer than INGEST_TRANSCODE_TIMEOUT (${limit}) ` +
        'and was stopped: a source this slow to convert may be damaged; ' +
        'convert it to WAV or FLAC and upload it again, or ask the ' +
        'operator to raise INGEST_TRANSCODE_TIMEOUT',
      { cause: err },
    );
  }

  return {
    async make(request): Promise<MadeRendition[]> {
      const formats = Object.keys(request.sources);
      const rank = (f: string) =>
        PREFERENCE.includes(f) ? PREFERENCE.indexOf(f) : PREFERENCE.length;
      const [primary, ...others] = formats
        .sort((a, b) => rank(a) - rank(b))
        .map((f) => request.sources[f]);
      if (!primary) throw new UploadFault('source_missing', 'no source');

      return run({
        maxDurationS: config.maxDurationMs / 1000,
        budget: request.budget,
        source: primary,
        alternatives: others,
        // A format with a source of its own is made from that source.
        renditions: request.formats.map((format) => ({
          format,
          path: path.join(request.outDir, `out.${format}`),
          sourcePath: request.sources[format],
        })),
        metadata: request.meta,
        cover: request.coverFrom ? { keepFrom: request.coverFrom } : 'source',
        signal: request.signal,
      });
    },

    async retag(request): Promise<MadeRendition> {
      // Named as its own source: an mp3 is stream-copied, not re-encoded.
      const [made] = await run({
        source: request.source,
        renditions: [
          {
            format: request.format,
            path: path.join(request.outDir, `retag.${request.format}`),
            sourcePath: request.source,
          },
        ],
        metadata: request.meta,
        signal: request.signal,
      });
      return made;
    },
  };
}
