import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * The temp name `downloadTo` writes `file` under until it is whole: a
 * hidden sibling, so a caller that must remove it (a forced exit) can.
 */
export function partFileOf(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.part`,
  );
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
