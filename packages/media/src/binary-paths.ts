import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';

import { MediaError } from './media-error';

/** Where the ffmpeg and ffprobe executables live. */
export interface BinaryPaths {
  ffmpegPath: string;
  ffprobePath: string;
}

const require = createRequire(import.meta.url);

/**
 * The installer packages throw at require time when their platform binary
 * is absent, so they are loaded lazily: an explicit FFMPEG_PATH must keep
 * working on a machine where the bundled binary is missing.
 */
function installerPath(pkg: string): string | undefined {
  try {
    const mod = require(pkg) as { path?: unknown };
    return typeof mod.path === 'string' ? mod.path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Default binary locations: FFMPEG_PATH / FFPROBE_PATH when set, otherwise
 * the static builds shipped by @ffmpeg-installer and @ffprobe-installer.
 * This is the only place the package reads the environment. The services
 * pass the paths packages/config parsed to `createMediaTools`, which
 * calls this only for a path it was not given (tests and the bench
 * give none).
 */
export function defaultBinaryPaths(
  env: Record<string, string | undefined> = process.env,
): BinaryPaths {
  const ffmpegPath =
    env.FFMPEG_PATH || installerPath('@ffmpeg-installer/ffmpeg') || 'ffmpeg';
  const ffprobePath =
    env.FFPROBE_PATH ||
    installerPath('@ffprobe-installer/ffprobe') ||
    'ffprobe';
  return { ffmpegPath, ffprobePath };
}

/**
 * Fails with an actionable message when a binary cannot be run. npm may
 * skip install scripts, which is how the bundled builds lose their exec
 * bit, so that case gets its own code and the fix in the message.
 */
export async function assertExecutable(
  tool: string,
  path: string,
): Promise<void> {
  // A bare command name is resolved through PATH by spawn itself.
  if (!path.includes('/')) return;

  try {
    await stat(path);
  } catch {
    throw new MediaError(
      'tool_missing',
      `${tool} not found at ${path}; install it or set its path`,
      { tool, path },
    );
  }

  try {
    await access(path, constants.X_OK);
  } catch {
    throw new MediaError(
      'tool_not_executable',
      `${tool} at ${path} is not executable (missing exec bit, e.g. ` +
        `npm skipped install scripts); run: chmod +x '${path}'`,
      { tool, path },
    );
  }
}
