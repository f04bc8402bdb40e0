import { open } from 'node:fs/promises';

import { FileWindow } from './file-window';
import { MAX_COMMENTS } from './flac-blocks';

/**
 * The bound of flac-blocks.ts on Vorbis comments, for an Ogg file: a
 * 15 MB OpusTags packet of three million one-byte comments took
 * music-metadata past 900 MB and a minute. The comments are counted
 * where music-metadata reads them, all together: each stream (serial)
 * on its own, whatever other streams' pages lie between; a packet joined
 * from a page and the pages after it flagged as continuing it (not by
 * its lacing); every such packet that opens as a comment header read as
 * one (a Vorbis stream's of first byte 3, magic or not; an Opus stream's
 * `OpusTags`; a Speex stream's first after its head), and pages read
 * until each stream's comments are and a page numbered past 12 comes,
 * which a crafted file's numbering may put off to its end.
 */

type Codec = 'vorbis' | 'opus' | 'speex' | 'other';

/** Where each codec's comment header has its vendor string's length. */
const VENDOR_AT: Record<Exclude<Codec, 'other'>, number> = { vorbis: 7, opus: 8, speex: 0 };

/** Pages walked at most, and pages of one comment header. */
const MAX_PAGES = 100_000;
const MAX_HEADER_PAGES = 1024;

const TOO_MANY = `more than ${MAX_COMMENTS} Vorbis comments`;

type Page = NonNullable<Awaited<ReturnType<typeof pageAt>>>;

interface Stream {
  codec: Codec;
  /** The pages of its packet not yet complete; null when none is open. */
  open: Page[] | null;
  /** Its comments were read (or it has none to read). */
  complete: boolean;
  closed: boolean;
}

/** Why the Ogg at `path` has too many comments to read tags from, or null. */
export async function oggCommentProblem(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    const window = new FileWindow(file);
    const streams = new Map<number, Stream>();
    let comments = 0;
    const close = async (stream: Stream) => {
      const packet = stream.open;
      stream.open = null;
      // Vorbis and Opus read every such packet; Speex its first only.
      if (!packet || stream.codec === 'other') return null;
      if (stream.codec === 'speex' && stream.complete) return null;
      const counted = await commentsIn(window, stream, packet);
      if (typeof counted === 'string') return counted;
      comments += counted;
      return comments > MAX_COMMENTS ? TOO_MANY : null;
    };

    let at = 0;
    for (let pages = 0; ; pages++) {
      if (pages === MAX_PAGES) return `comment headers not done in ${MAX_PAGES} Ogg pages`;
      const page = await pageAt(window, at);
      if (!page) break;
      at = page.end;
      const codec = page.first ? await codecOf(window, page) : undefined;
      if (codec === null) break;
      let stream = streams.get(page.serial);
      if (codec) {
        stream = { codec, open: null, complete: codec === 'other', closed: false };
        streams.set(page.serial, stream);
      }
      if (!stream) break;
      if (page.last) stream.closed = true;
      if (!page.first) {
        if (page.continued) {
          if (!stream.open) break;
          if (stream.open.length === MAX_HEADER_PAGES) {
            return `a comment header of more than ${MAX_HEADER_PAGES} pages`;
          }
          stream.open.push(page);
        }
        if (page.last || !page.continued) {
          const problem = await close(stream);
          if (problem) return problem;
          if (!page.last) stream.open = [page];
        }
      }
      const all = [...streams.values()];
      if (page.sequence > 12 && all.every((s) => s.complete)) break;
      if (all.every((s) => s.closed)) break;
    }
    // Stopped, cut short or ended: what a stream holds open is read too.
    for (const stream of streams.values()) {
      const problem = stream.closed ? null : await close(stream);
      if (problem) return problem;
    }
    return null;
  } finally {
    await file.close();
  }
}

/** The codec of a stream's first page as music-metadata tells it; null if none. */
async function codecOf(window: FileWindow, page: Page): Promise<Codec | null> {
  const id = [...(await window.read(page.data, 7))]
    .filter((byte) => byte >= 32 && byte <= 126)
    .map((byte) => String.fromCharCode(byte))
    .join('');
  if (id === 'vorbis') return 'vorbis';
  if (id === 'OpusHea') return 'opus';
  if (id === 'Speex  ') return 'speex';
  return ['fishead', 'theora', 'FLAC'].includes(id) ? 'other' : null;
}

/**
 * The comments `packet` declares when it is read as a comment header
 * (then the stream's comments are read), else 0.
 */
async function commentsIn(
  window: FileWindow,
  stream: Stream,
  packet: Page[],
): Promise<number | string> {
  const bytes = (offset: number, length: number) => packetBytes(window, packet, offset, length);
  const codec = stream.codec as Exclude<Codec, 'other'>;
  const head = await bytes(0, 8);
  if (codec === 'vorbis' && head[0] !== 3) return 0;
  if (codec === 'opus' && head.toString('latin1') !== 'OpusTags') return 0;
  stream.complete = true;
  const vendor = await bytes(VENDOR_AT[codec], 4);
  if (vendor.length < 4) return 0;
  const count = await bytes(VENDOR_AT[codec] + 4 + vendor.readUInt32LE(0), 4);
  return count.length < 4 ? 0 : count.readUInt32LE(0);
}

/** `length` bytes from `offset` of the pages' data joined, fewer past it. */
async function packetBytes(
  window: FileWindow,
  pages: Page[],
  offset: number,
  length: number,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let skip = offset;
  let wanted = length;
  for (const page of pages) {
    if (wanted === 0) break;
    const size = page.end - page.data;
    if (skip >= size) {
      skip -= size;
      continue;
    }
    const part = await window.read(page.data + skip, Math.min(wanted, size - skip));
    parts.push(Buffer.from(part));
    wanted -= part.length;
    skip = 0;
  }
  return Buffer.concat(parts);
}

/** The Ogg page at `at`: its stream, flags, where its data starts and ends. */
async function pageAt(window: FileWindow, at: number) {
  const header = Buffer.from(await window.read(at, 27));
  if (header.length < 27 || header.toString('latin1', 0, 4) !== 'OggS') return null;
  const segments = await window.read(at + 27, header[26]);
  const data = at + 27 + header[26];
  const end = data + segments.reduce((sum, length) => sum + length, 0);
  return {
    serial: header.readUInt32LE(14),
    sequence: header.readUInt32LE(18),
    continued: (header[5] & 1) !== 0,
    first: (header[5] & 2) !== 0,
    last: (header[5] & 4) !== 0,
    data,
    end,
  };
}
