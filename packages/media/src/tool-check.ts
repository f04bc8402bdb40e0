import type { ToolRunner } from './ffmpeg-runner';
import { MediaError } from './media-error';

/** What a service checks at start (STYLE: refuse to start with a fix). */
export interface ToolReport {
  ffmpegVersion: string;
  ffprobeVersion: string;
}

/** Encoders the rendition policy cannot do without. */
export const REQUIRED_ENCODERS = [
  'libmp3lame',
  'flac',
  'pcm_s16le',
  'pcm_s24le',
  'pcm_s16be',
  'pcm_s24be',
] as const;

/**
 * Runs both binaries once and checks ffmpeg's encoder list, so a missing
 * exec bit or a build without LAME stops a service at start, not at the
 * first upload.
 */
export async function checkTools(
  runner: ToolRunner,
  timeoutMs: number,
): Promise<ToolReport> {
  const [ffmpeg, ffprobe, encoders] = await Promise.all([
    runner.run({
      tool: 'ffmpeg',
      args: ['-hide_banner', '-version'],
      captureStdout: true,
      timeoutMs,
    }),
    runner.run({
      tool: 'ffprobe',
      args: ['-hide_banner', '-version'],
      captureStdout: true,
      timeoutMs,
    }),
    runner.run({
      tool: 'ffmpeg',
      args: ['-hide_banner', '-encoders'],
      captureStdout: true,
      timeoutMs,
    }),
  ]);

  const names = new Set(
    encoders.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[1])
      .filter(Boolean),
  );
  const missing = REQUIRED_ENCODERS.filter((e) => !names.has(e));
  if (missing.length > 0) {
    throw new MediaError(
      'tool_incomplete',
      `ffmpeg lacks encoders ${missing.join(', ')}; use a build with them ` +
        '(e.g. the @ffmpeg-installer static build) via FFMPEG_PATH',
      { missing },
    );
  }

  return {
    ffmpegVersion: firstLine(ffmpeg.stdout),
    ffprobeVersion: firstLine(ffprobe.stdout),
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}
