import { open, type FileHandle } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';

/**
 * The text frames of an ID3v2.2 or v2.3 tag, whole as stored.
 *
 * music-metadata splits v2.2/v2.3 artist, composer, lyricist, TXXX and
 * ISRC frames at every `/` (the v2.3 text allows `/` as a separator) and
 * offers no option against it, so "AC/DC" read back as "AC". Nearly every
 * tagger, ffmpeg among them, writes `/` as part of the name, and the
 * service's own mp3 and aiff renditions are v2.3: their tags must read
 * back as written. This reads the frames of the first ID3v2 tag of an
 * mp3 (at offset 0), or of the `ID3 ` chunk of an AIFF or WAV file.
 *
 * Keys are v2.3 frame ids (v2.2 ids are renamed: TP1 → TPE1) and
 * `TXXX:<description>`; a value with NUL separators (v2.4 style, which
 * some v2.3 writers use) comes as several values. Returns null when there
 * is no such tag or it cannot be read; the caller then keeps what
 * music-metadata read.
 */
export async function readId3TextFrames(
  path: string,
): Promise<Map<string, string[]> | null> {
  const file = await open(path, 'r');
  try {
    const offset = await findId3(file);
    if (offset === null) return null;
    const tag = await readTag(file, offset);
    return tag ? parseFrames(tag.major, tag.body) : null;
  } finally {
    await file.close();
  }
}

/** Larger tags (pictures of tens of MiB) are left to music-metadata. */
const MAX_TAG_BYTES = 32 * 1024 * 1024;

/** Chunks walked in an AIFF or WAV before giving up on finding `ID3 `. */
const MAX_CHUNKS = 256;

async function readAt(file: FileHandle, offset: number, length: number) {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, offset);
  return buffer.subarray(0, bytesRead);
}

async function findId3(file: FileHandle): Promise<number | null> {
  const head = await readAt(file, 0, 12);
  if (head.subarray(0, 3).toString('latin1') === 'ID3') return 0;

  const kind = head.subarray(0, 4).toString('latin1');
  const form = head.subarray(8, 12).toString('latin1');
  const aiff = kind === 'FORM' && (form === 'AIFF' || form === 'AIFC');
  const riff = (kind === 'RIFF' || kind === 'RF64') && form === 'WAVE';
  if (!aiff && !riff) return null;

  let offset = 12;
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const header = await readAt(file, offset, 8);
    if (header.length < 8) return null;
    const id = header.subarray(0, 4).toString('latin1');
    if (id === 'ID3 ' || id === 'id3 ') return offset + 8;
    const size = aiff ? header.readUInt32BE(4) : header.readUInt32LE(4);
    // RF64's data chunk gives its size elsewhere; the tag comes after it.
    if (size === 0xffffffff) return null;
    offset += 8 + size + (size % 2);
  }
  return null;
}

function syncsafe(bytes: Buffer, at: number, width: number): number {
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 128 + (bytes[at + i] & 0x7f);
  return value;
}

async function readTag(file: FileHandle, offset: number) {
  const header = await readAt(file, offset, 10);
  if (header.length < 10 || header.toString('latin1', 0, 3) !== 'ID3') {
    return null;
  }
  const major = header[3];
  const flags = header[5];
  const size = syncsafe(header, 6, 4);
  if ((major !== 2 && major !== 3) || size > MAX_TAG_BYTES) return null;
  // v2.2's bit 6 is compression, with no defined scheme.
  if (major === 2 && flags & 0x40) return null;

  let body: Buffer = await readAt(file, offset + 10, size);
  if (flags & 0x80) body = resync(body);
  if (major === 3 && flags & 0x40 && body.length >= 4) {
    body = body.subarray(4 + body.readUInt32BE(0));
  }
  return { major, body };
}

/** Undoes unsynchronisation: every FF 00 was written for FF. */
function resync(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    out[n++] = bytes[i];
    if (bytes[i] === 0xff && bytes[i + 1] === 0x00) i++;
  }
  return out.subarray(0, n);
}

/** v2.2 ids of the text frames the tag reader uses. */
const V22_IDS: Record<string, string> = {
  TT2: 'TIT2',
  TP1: 'TPE1',
  TAL: 'TALB',
  TCM: 'TCOM',
  TCO: 'TCON',
  TXT: 'TEXT',
  TRK: 'TRCK',
  TRC: 'TSRC',
  TBP: 'TBPM',
  TPB: 'TPUB',
  TYE: 'TYER',
  TDA: 'TDAT',
  TCR: 'TCOP',
  TXX: 'TXXX',
};

function parseFrames(major: number, body: Buffer): Map<string, string[]> {
  const frames = new Map<string, string[]>();
  const idLength = major === 2 ? 3 : 4;
  const headerLength = major === 2 ? 6 : 10;
  let at = 0;

  while (at + headerLength <= body.length) {
    const rawId = body.toString('latin1', at, at + idLength);
    if (!/^[A-Z0-9]+$/.test(rawId)) break; // padding
    const size =
      major === 2 ? body.readUIntBE(at + 3, 3) : body.readUInt32BE(at + 4);
    const start = at + headerLength;
    at = start + size;
    if (at > body.length) break;

    const id = major === 2 ? V22_IDS[rawId] ?? rawId : rawId;
    if (!id.startsWith('T')) continue;
    const flags = major === 2 ? 0 : body.readUInt16BE(start - 2);
    const data = frameData(body.subarray(start, at), flags);
    const text = data && decodeTextFrame(id, data);
    if (!text) continue;
    const values = frames.get(text.key) ?? [];
    values.push(...text.values);
    frames.set(text.key, values);
  }
  return frames;
}

/** A frame's content after its v2.3 flags: inflated, or null if encrypted. */
function frameData(data: Buffer, flags: number): Buffer | null {
  if (flags & 0x40) return null;
  let at = 0;
  if (flags & 0x80) at += 4;
  if (flags & 0x20) at += 1;
  if (!(flags & 0x80)) return data.subarray(at);
  try {
    return inflateSync(data.subarray(at));
  } catch {
    return null;
  }
}

function decodeTextFrame(id: string, data: Buffer) {
  if (data.length < 1) return null;
  const encoding = data[0];
  let text = data.subarray(1);
  let key = id;

  if (id === 'TXXX') {
    const end = terminator(text, encoding);
    key = `TXXX:${decode(text.subarray(0, end.at), encoding)}`;
    text = text.subarray(end.at + end.width);
  }
  const values = decode(text, encoding)
    .split('\u0000')
    .filter((value) => value.length > 0);
  return { key, values };
}

/** Where a NUL-terminated string of this encoding ends. */
function terminator(bytes: Buffer, encoding: number) {
  const wide = encoding === 1 || encoding === 2;
  if (!wide) {
    const at = bytes.indexOf(0);
    return { at: at < 0 ? bytes.length : at, width: 1 };
  }
  for (let at = 0; at + 1 < bytes.length; at += 2) {
    if (bytes[at] === 0 && bytes[at + 1] === 0) return { at, width: 2 };
  }
  return { at: bytes.length, width: 2 };
}

function decode(bytes: Buffer, encoding: number): string {
  switch (encoding) {
    case 1:
      return decodeUtf16(bytes, false);
    case 2:
      return decodeUtf16(bytes, true);
    case 3:
      return bytes.toString('utf8');
    default:
      return bytes.toString('latin1');
  }
}

/**
 * UTF-16 with a byte order mark at the start of each string (several
 * NUL-separated strings each have their own); without one, big endian
 * for encoding 2 and little endian otherwise, as most writers use.
 */
function decodeUtf16(bytes: Buffer, bigEndian: boolean): string {
  const parts: string[] = [];
  let littleEndian = !bigEndian;
  for (let at = 0; at + 1 < bytes.length; ) {
    let end = at;
    while (end + 1 < bytes.length && (bytes[end] || bytes[end + 1])) end += 2;
    let part = bytes.subarray(at, end - ((end - at) % 2));
    const bom = part.length >= 2 ? part.readUInt16BE(0) : 0;
    if (bom === 0xfffe || bom === 0xfeff) {
      littleEndian = bom === 0xfffe;
      part = part.subarray(2);
    }
    const units = Buffer.from(part);
    if (!littleEndian) units.swap16();
    parts.push(units.toString('utf16le'));
    at = end + 2;
  }
  return parts.join('\u0000');
}
