import { defaultBinaryPaths } from './binary-paths';
import { createToolRunner, type ToolRunner } from './ffmpeg-runner';
import { silentLogger, type MediaLogger } from './media-logger';
import { probeSource, type SourceProbe } from './probe';
import { checkTools, type ToolReport } from './tool-check';
import {
  transcode,
  type TranscodePlan,
  type TranscodeResult,
} from './transcode';

export interface MediaToolsOptions {
  /** ffmpeg executable. Default: `defaultBinaryPaths().ffmpegPath`. */
  ffmpegPath?: string;
  /** ffprobe executable. Default: `defaultBinaryPaths().ffprobePath`. */
  ffprobePath?: string;
  /** Gets each command at debug and stderr tails of failures at warn. */
  logger?: MediaLogger;
  /**
   * Longest a single ffmpeg/ffprobe run may take, in ms, before it is
   * killed. Default 600 000 (10 minutes: an hour of audio on one core).
   */
  timeoutMs?: number;
}

export interface RunControl {
  /** Overrides the factory's `timeoutMs` for this call, ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The project's one door to ffmpeg and ffprobe. */
export interface MediaTools {
  /** Facts about a stored source; throws `empty_file`/`undecodable`. */
  probeSource(path: string, control?: RunControl): Promise<SourceProbe>;
  /** One ffmpeg pass writing every rendition, then each verified. */
  transcode(plan: TranscodePlan): Promise<TranscodeResult>;
  /** Versions of both binaries; throws when they cannot do the work. */
  checkTools(): Promise<ToolReport>;
}

export const DEFAULT_TIMEOUT_MS = 600_000;

export function createMediaTools(options: MediaToolsOptions = {}) {
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const defaults =
    options.ffmpegPath && options.ffprobePath ? null : defaultBinaryPaths();
  const runner: ToolRunner = createToolRunner(
    {
      ffmpegPath: options.ffmpegPath ?? defaults!.ffmpegPath,
      ffprobePath: options.ffprobePath ?? defaults!.ffprobePath,
    },
    logger,
  );

  const tools: MediaTools = {
    probeSource: (path, control = {}) =>
      probeSource(runner, path, {
        timeoutMs: control.timeoutMs ?? timeoutMs,
        signal: control.signal,
      }),
    transcode: (plan) => transcode({ runner, logger, timeoutMs }, plan),
    checkTools: () => checkTools(runner, Math.min(timeoutMs, 30_000)),
  };
  return tools;
}
