import type { FileHandle } from 'node:fs/promises';
import { readAt } from './pcm-header';

// Chunks walked before giving up on a malformed file.
const MAX_CHUNKS = 256;

/** A chunk of a CAF or DSDIFF file; `body` is its offset in the file. */
export interface BigEndianChunk {
  id: string;
  /** Bytes of its body; negative: it runs to the end of the file. */
  size: number;
  body: number;
}

/**
 * The chunks from `start` of a file of 4-byte ids and 8-byte big-endian
 * sizes (CAF, DSDIFF), up to MAX_CHUNKS. `padded`: bodies of odd size
 * are followed by a byte (DSDIFF). A negative size ends the walk.
 */
export async function* bigEndianChunks(
  file: FileHandle,
  start: number,
  padded = false,
): AsyncGenerator<BigEndianChunk> {
  let offset = start;
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const header = await readAt(file, offset, 12);
    if (header.length < 12) return;
    const size = Number(header.readBigInt64BE(4));
    const body = offset + 12;
    yield { id: header.toString('latin1', 0, 4), size, body };
    if (size < 0) return;
    offset = body + size + (padded ? size % 2 : 0);
  }
}
