/**
 * The name a download is saved under. Whoever uploaded `song.wav` looks
 * for `song.wav` and `song.mp3`, not `12.wav`: the track's Filename
 * without its extension, then the rendition's (the format's name, as
 * the CLI names saved files). A track with no usable Filename keeps
 * `<track id>.<format>`.
 *
 * The header follows RFC 6266: `filename` is an ASCII stand-in any
 * client reads, and `filename*` (RFC 8187, UTF-8, percent-encoded)
 * carries the exact name where the two differ. Express's own
 * `content-disposition` writes the header; the name and its stand-in
 * are ours, as its own stand-in only puts `?` for what is not ASCII.
 * A Filename is any text a client set (up to 64 KiB, quotes, slashes,
 * line breaks), so the name is its last path segment, without control
 * characters, cut to fit.
 */
import path from 'node:path';
import { create as contentDisposition } from 'content-disposition';
import { UNSHOWN, wellFormed, type OutputFormat, type Track } from '@ingest/core';

/**
 * Longest stem, in UTF-8 bytes: with an extension it fits the 255 bytes
 * of a file name, and the header stays far below any client's limit.
 */
const MAX_STEM_BYTES = 200;

/** The `Content-Disposition` of a rendition of `track`. */
export function contentDispositionOf(
  track: Pick<Track, 'id' | 'meta'>,
  format: OutputFormat,
): string {
  const byId = `${track.id}.${format}`;
  const stem = stemOf(track.meta.Filename ?? '');
  if (!stem) return contentDisposition(byId);

  const asciiStem = asciiOf(stem);
  // Nothing readable left (a name all in another script): the id.
  const ascii = /[A-Za-z0-9]/.test(asciiStem) ? `${asciiStem}.${format}` : byId;
  return contentDisposition(`${stem}.${format}`, { fallback: ascii });
}

/** The name to give, without extension; '' when nothing usable is left. */
export function stemOf(filename: string): string {
  const last = filename.split(/[/\\]/).pop() ?? '';
  const clean = wellFormed(last).replace(UNSHOWN, '').trim();
  const extension = path.extname(clean);
  // `Op. 27 No. 2` has no extension `. 2`.
  const bare = /\s/.test(extension) ? clean : clean.slice(0, clean.length - extension.length);
  // A leading dot would hide the saved file.
  return cutToBytes(bare.replace(/^[.\s]+/, '').trimEnd(), MAX_STEM_BYTES);
}


/**
 * An ASCII stand-in for a quoted `filename`: accents dropped (`Jóga` →
 * `Joga`), other characters `_`, no `"` or `\` to escape, and no `%`
 * before two hex digits, which some clients decode (RFC 6266, D).
 */
function asciiOf(stem: string): string {
  return stem
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]/gu, '_')
    .replace(/"/g, "'")
    .replace(/\\/g, '_')
    .replace(/%(?=[0-9A-Fa-f]{2})/g, '_');
}

/** At most `bytes` of UTF-8, cut between whole characters. */
function cutToBytes(text: string, bytes: number): string {
  let used = 0;
  let cut = '';
  for (const char of text) {
    used += Buffer.byteLength(char);
    if (used > bytes) break;
    cut += char;
  }
  return cut.trimEnd();
}
