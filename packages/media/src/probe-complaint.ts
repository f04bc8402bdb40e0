import { fileUrl } from './audio-containers';
import { readableToolLine } from './ffmpeg-runner';

// ffprobe says this (at warning level) when no header declared a length.
export const ESTIMATED = 'Estimating duration from bitrate';

// ffmpeg took the bytes for this container on a weak guess: an ID3 tag
// with no mp3 frame behind it scores so. Its next lines (frame sizes,
// seeks) are how it then failed, not what is wrong with the file.
const WEAK_GUESS = /Format (\S+) detected only with low score/;

// Warnings that say nothing about why a file failed. "Growing file?"
// is ffmpeg's guess for a frame count that disagrees with the size: an
// upload is whole when it is read, so the guess only misleads.
const NOT_A_REASON = [ESTIMATED, 'misdetection possible', '(growing file?)'];

// The mov/mp4 demuxer's words for a sample its index places past the
// end of the file: the file was cut after its header was written.
const PARTIAL_FILE = ': partial file';

/**
 * Whether the demuxer of `formatName` (as ffprobe names it) said the
 * file ends before audio its header indexes (mov/mp4's "partial file").
 */
export function endsBeforeItsIndex(lines: string[], formatName: string): boolean {
  const demuxer = `[${formatName}] `;
  return lines.some((line) => {
    const readable = readableToolLine(line);
    return readable.startsWith(demuxer) && readable.endsWith(PARTIAL_FILE);
  });
}

/**
 * The first line of stderr that says what went wrong, without the file
 * path (a person knows which file they sent) and context addresses.
 */
export function firstComplaint(lines: string[], path: string): string {
  const url = fileUrl(path);
  for (const line of lines) {
    const cleaned = readableToolLine(line)
      .split(url)
      .join('')
      .split(path)
      .join('')
      .replace(/^:\s*/, '')
      .trim();
    if (!cleaned || NOT_A_REASON.some((n) => cleaned.includes(n))) continue;
    return cleaned;
  }
  return 'unrecognised data';
}

/**
 * Why ffprobe could not read a source, for the person who sent it: when
 * ffmpeg only guessed the container, that no audio of it was found, with
 * ffmpeg's own words after.
 */
export function unreadableReason(lines: string[], path: string): string {
  const complaint = firstComplaint(lines, path);
  const guessed = lines.map((line) => WEAK_GUESS.exec(line)?.[1]).find(Boolean);
  if (!guessed) return complaint;
  return `no ${guessed} audio could be found in it (ffmpeg only guessed the format; ${complaint})`;
}
