import { open, type FileHandle } from 'node:fs/promises';

import { MAX_COMMENTS } from './flac-blocks';
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
    const packet = new PacketBytes(file, second);
    const vendor = await packet.read(start, 4);
    if (typeof vendor === 'string') return vendor;
    if (vendor.length < 4) return null;
    const count = await packet.read(start + 4 + vendor.readUInt32LE(0), 4);
    if (typeof count === 'string') return count;
    const comments = count.length < 4 ? 0 : count.readUInt32LE(0);
    return comments > MAX_COMMENTS ? `more than ${MAX_COMMENTS} Vorbis comments` : null;
  } finally {
    await file.close();
  }
}

/**
 * Pages of a comment header followed: a real one (a cover picture of a
 * few MB in it) spans a few dozen pages of 64 KB.
 */
const MAX_PAGES = 1024;

type Page = NonNullable<Awaited<ReturnType<typeof pageAt>>>;

/**
 * The bytes of a packet that starts a page, read across the pages it
 * goes on in: a long vendor string (or a crafted one) puts the comment
 * count on a later page, past that page's header.
 */
class PacketBytes {
  private readonly pages: Page[];

  constructor(
    private readonly file: FileHandle,
    first: Page,
  ) {
    this.pages = [first];
  }

  /**
   * `length` bytes from `offset` of the packet, fewer past its end; a
   * reason when they lie past MAX_PAGES of it.
   */
  async read(offset: number, length: number): Promise<Buffer | string> {
    const parts: Buffer[] = [];
    let skip = offset;
    let wanted = length;
    for (let index = 0; wanted > 0; index++) {
      if (index === MAX_PAGES) return `a comment header of more than ${MAX_PAGES} pages`;
      const page = await this.page(index);
      if (!page) break;
      const size = page.end - page.data;
      if (skip < size) {
        const part = await readAt(this.file, page.data + skip, Math.min(wanted, size - skip));
        parts.push(part);
        wanted -= part.length;
        skip = 0;
      } else {
        skip -= size;
      }
      if (!page.continues) break;
    }
    return Buffer.concat(parts);
  }

  /** The packet's `index`th page, or null where it ends or breaks off. */
  private async page(index: number): Promise<Page | null> {
    while (this.pages.length <= index) {
      const last = this.pages[this.pages.length - 1];
      const next = await pageAt(this.file, last.end);
      if (!next || next.serial !== last.serial) return null;
      this.pages.push(next);
    }
    return this.pages[index] ?? null;
  }
}

/** The Ogg page at `at`: its stream, where its data starts and it ends. */
async function pageAt(file: FileHandle, at: number) {
  const header = await readAt(file, at, 27);
  if (header.length < 27 || header.toString('latin1', 0, 4) !== 'OggS') return null;
  const segments = await readAt(file, at + 27, header[26]);
  const data = at + 27 + header[26];
  const end = data + segments.reduce((sum, length) => sum + length, 0);
  // A last lacing value of 255: the page's last packet goes on in the next.
  const continues = segments.length > 0 && segments[segments.length - 1] === 255;
  return { serial: header.readUInt32LE(14), data, end, continues };
}
