import { chmod, writeFile } from 'node:fs/promises';
import { defaultBinaryPaths } from '@ingest/media';

/**
 * Writes an executable stand-in for ffmpeg, for tests of a broken build:
 * the shell lines `first` run with ffmpeg's arguments in "$@", then the
 * real ffmpeg runs with them. Point FFMPEG_PATH (or ffmpegPath) at it.
 */
export async function ffmpegWrapper(
  file: string,
  first: string[],
): Promise<string> {
  const real = defaultBinaryPaths().ffmpegPath;
  const script = ['#!/bin/sh', ...first, `exec '${real}' "$@"`, ''];
  await writeFile(file, script.join('\n'));
  await chmod(file, 0o755);
  return file;
}

/**
 * Shell lines for `ffmpegWrapper`: a run with an argument matching the
 * sh pattern `pattern` (only right after the argument `after`, when
 * given: `-i` for an input) prints `said` after its pid to stderr and
 * dies by SIGSEGV, as a crashing build would.
 */
export function crashWhenArgument(
  pattern: string,
  said: string,
  after?: string,
): string[] {
  return whenArgument(
    pattern,
    [`echo "$$ ${said}" >&2`, 'kill -SEGV $$'],
    after,
  );
}

/**
 * Shell lines for `ffmpegWrapper`: a run with an argument matching
 * `pattern` (as for crashWhenArgument) hangs, writing nothing, until it
 * is killed, as ffmpeg stuck on a source would. The sleep replaces the
 * shell, so killing the run's pid leaves no process behind.
 */
export function hangWhenArgument(pattern: string, after?: string): string[] {
  return whenArgument(pattern, ['exec sleep 3600'], after);
}

/**
 * Shell lines for `ffmpegWrapper`: a run with an argument matching
 * `pattern` reads its first input no faster than it plays (`-re`), as on
 * a machine too busy to keep up: slow, yet decoding all along.
 */
export function slowWhenArgument(pattern: string): string[] {
  const real = defaultBinaryPaths().ffmpegPath;
  return whenArgument(pattern, [`exec '${real}' -re "$@"`], undefined);
}

function whenArgument(
  pattern: string,
  act: string[],
  after: string | undefined,
): string[] {
  const guard = after === undefined ? 'true' : `[ "$prev" = '${after}' ]`;
  return [
    'prev=',
    'for arg in "$@"; do',
    `  if ${guard}; then`,
    `    case "$arg" in ${pattern})`,
    ...act.map((line) => `      ${line}`),
    '    esac',
    '  fi',
    '  prev=$arg',
    'done',
  ];
}
