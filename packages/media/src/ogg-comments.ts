import { open, type FileHandle } from 'node:fs/promises';

import { commentCount, MAX_COMMENTS } from './flac-blocks';
import { readAt } from './pcm-header';

/**
 * The bound of flac-blocks.ts on Vorbis comments, for an Ogg file (Vorbis,
 * Opus, FLAC in Ogg): a 15 MB OpusTags packet of three million one-byte
 * comments took music-metadata past 900 MB and a minute. The comment
 * header is the stream's second packet, which starts its second page.
 */

// What precedes the vendor string in each codec's comment packet: Opus's
// and Vorbis's magic, or FLAC's 4-byte metadata block header.
const COMMENT_STARTS: Array<[string, number]> = [
  ['OpusTags', 8],
  ['\x03vorbis', 7],
];
const FLAC_MAPPING = '\x7fFLAC';

/** Why the Ogg at `path` has too many comments to read tags from, or null. */
export async function oggCommentProblem(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    const first = await pageAt(file, 0);
    if (!first) return null;
    const second = await pageAt(file, first.end);
    // Another stream's page: a multiplexed file, not a comment header.
    if (!second || second.serial !== first.serial) return null;

    const head = (await readAt(file, first.data, 5)).toString('latin1');
    const magic = (await readAt(file, second.data, 8)).toString('latin1');
    const start =
      head === FLAC_MAPPING
        ? 4
        : COMMENT_STARTS.find(([word, length]) => magic.slice(0, length) === word)?.[1];
    if (start === undefined) return null;
    const comments = await commentCount(file, second.data + start);
    return comments > MAX_COMMENTS ? `more than ${MAX_COMMENTS} Vorbis comments` : null;
  } finally {
    await file.close();
  }
}

/** The Ogg page at `at`: its stream, where its data starts and it ends. */
async function pageAt(file: FileHandle, at: number) {
  const header = await readAt(file, at, 27);
  if (header.length < 27 || header.toString('latin1', 0, 4) !== 'OggS') return null;
  const segments = await readAt(file, at + 27, header[26]);
  const data = at + 27 + header[26];
  const end = data + segments.reduce((sum, length) => sum + length, 0);
  return { serial: header.readUInt32LE(14), data, end };
}
