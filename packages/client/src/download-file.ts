import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Longest file name most file systems take, in bytes (NAME_MAX). */
const NAME_MAX = 255;

/**
 * The temp name `downloadTo` writes `file` under until it is whole: a
 * hidden sibling, so a caller that must remove it (a forced exit) can.
 * A name too long for the temp's extra bytes is cut, with a hash of the
 * whole name so that two cut names stay apart.
 */
export function partFileOf(file: string): string {
  const base = path.basename(file);
  const suffix = `.${process.pid}.part`;
  let name = `.${base}${suffix}`;
  if (Buffer.byteLength(name) > NAME_MAX) {
    const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
    const room = NAME_MAX - Buffer.byteLength(`.-${hash}${suffix}`);
    name = `.${cutToBytes(base, room)}-${hash}${suffix}`;
  }
  return path.join(path.dirname(file), name);
}

/** The longest start of `text` that fits `bytes` in UTF-8, whole characters. */
export function cutToBytes(text: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (used + size > bytes) break;
    out += char;
    used += size;
  }
  return out;
}

/**
 * Writes a download's body to `file` under its temp name, renamed into
 * place once whole; the temp file goes whatever happens. Answers the
 * bytes written and their sha256 (hex).
 */
export async function writeDownload(
  body: ReadableStream<Uint8Array>,
  file: string,
  signal?: AbortSignal,
): Promise<{ file: string; bytes: number; sha256: string }> {
  const temp = partFileOf(file);
  const hash = createHash('sha256');
  let bytes = 0;
  const count = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      hash.update(chunk);
      yield chunk;
    }
  };
  try {
    const source = Readable.fromWeb(
      body as import('node:stream/web').ReadableStream,
    );
    await pipeline(source, count, createWriteStream(temp), { signal });
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  return { file, bytes, sha256: hash.digest('hex') };
}
