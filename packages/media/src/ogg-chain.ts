import { open, type FileHandle } from 'node:fs/promises';

/**
 * The logical streams of an Ogg file, from its pages' beginning-of-stream
 * flags. A chained Ogg is several Ogg files one after the other (a radio
 * capture, joined tracks); each link starts with its own identification
 * header and may have another rate or channel count. ffprobe describes
 * the first link only, and its length from the last granule position,
 * which counts the last link's samples at the first link's rate: such a
 * length is no evidence of truncation. And ffmpeg 4.1 rebuilds its filter
 * graph where the format changes, dropping the samples an mp3 or flac
 * encoder held in its frame buffer (up to 0.1 s a change): chain-decode.ts
 * decodes such a chain to one format first.
 */

export interface OggStreamFormat {
  codec: string;
  sampleRate: number;
  channels: number;
}

export interface OggChain {
  /** Streams begun, in file order: one per link of a plain chain. */
  streams: OggStreamFormat[];
  /** Whether the audio streams differ in rate or channel count. */
  formatChanges: boolean;
  /**
   * Whether they differ in codec (Vorbis, then Opus): ffmpeg 4.1 then
   * decodes the first link only, and says nothing.
   */
  codecChanges: boolean;
}

const PAGE_HEADER = 27;
const BLOCK = 1024 * 1024;
// A file of more begun streams than this is not a chain worth reading on.
const MAX_STREAMS = 4096;

/** The streams of the Ogg file at `path`, or null when it is none. */
export async function readOggChain(path: string): Promise<OggChain | null> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const streams: OggStreamFormat[] = [];
    for await (const packet of beginningPackets(file)) {
      streams.push(identify(packet));
      if (streams.length >= MAX_STREAMS) break;
    }
    if (streams.length === 0) return null;
    const audio = streams.filter((s) => s.sampleRate > 0);
    const formatChanges = audio.some(
      (s) =>
        s.sampleRate !== audio[0].sampleRate ||
        s.channels !== audio[0].channels,
    );
    const codecChanges = audio.some((s) => s.codec !== audio[0].codec);
    return { streams, formatChanges, codecChanges };
  } catch {
    // An unreadable file says nothing about its streams.
    return null;
  } finally {
    await file?.close();
  }
}

// A page header, its segment table, and the start of a first packet.
const PAGE_HEAD_MAX = PAGE_HEADER + 255 + 64;
const OGGS = 0x4f676753;

/**
 * The start (up to 64 bytes) of each page that begins a stream, walking
 * the pages through a 1 MiB window. Pages are parsed in place, with no
 * read or await per page: a crafted file of empty 27-byte pages (3.7
 * million in 100 MB) took ~1.9 s of CPU when each page was two awaited
 * reads, and takes as long as reading its bytes now.
 */
async function* beginningPackets(file: FileHandle): AsyncGenerator<Buffer> {
  let base = 0;
  let block = Buffer.alloc(0);
  let atEnd = false;
  let offset = 0;
  for (;;) {
    if (!atEnd && offset + PAGE_HEAD_MAX > base + block.length) {
      const buffer = Buffer.alloc(BLOCK);
      const { bytesRead } = await file.read(buffer, 0, BLOCK, offset);
      base = offset;
      block = buffer.subarray(0, bytesRead);
      atEnd = bytesRead < BLOCK;
    }
    const at = offset - base;
    if (at + PAGE_HEADER > block.length) return;
    if (block.readUInt32BE(at) !== OGGS) return;
    const segments = block[at + 26];
    const body = at + PAGE_HEADER + segments;
    if (body > block.length) return;
    let bodyBytes = 0;
    for (let i = at + PAGE_HEADER; i < body; i++) bodyBytes += block[i];
    // Beginning of stream: the page holds the identification header.
    if (block[at + 5] & 0x02) {
      yield block.subarray(body, Math.min(body + bodyBytes, body + 64));
    }
    offset = base + body + bodyBytes;
  }
}

/** The format an identification header declares; rate 0 if not audio. */
export function identify(packet: Buffer): OggStreamFormat {
  const text = (start: number, end: number) =>
    packet.toString('latin1', start, end);
  if (packet.length >= 16 && text(0, 7) === '\x01vorbis') {
    return {
      codec: 'vorbis',
      channels: packet[11],
      sampleRate: packet.readUInt32LE(12),
    };
  }
  if (packet.length >= 10 && text(0, 8) === 'OpusHead') {
    // Opus always decodes at 48 kHz, whatever rate the input had.
    return { codec: 'opus', channels: packet[9], sampleRate: 48_000 };
  }
  if (packet.length >= 30 && text(0, 5) === '\x7fFLAC' && text(9, 13) === 'fLaC') {
    // STREAMINFO follows its 4-byte block header: 20 bits of rate, then
    // 3 bits of channels less one, from its 11th byte.
    const at = 13 + 4 + 10;
    return {
      codec: 'flac',
      sampleRate: (packet[at] << 12) | (packet[at + 1] << 4) | (packet[at + 2] >> 4),
      channels: ((packet[at + 2] >> 1) & 0x07) + 1,
    };
  }
  if (packet.length >= 52 && text(0, 8) === 'Speex   ') {
    return {
      codec: 'speex',
      sampleRate: packet.readUInt32LE(36),
      channels: packet.readUInt32LE(48),
    };
  }
  return { codec: 'other', sampleRate: 0, channels: 0 };
}
