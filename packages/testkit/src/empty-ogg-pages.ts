import { writeFile } from 'node:fs/promises';

/**
 * A crafted Ogg file: one Vorbis identification page, then `bytes` of
 * 27-byte pages that hold nothing (3.7 million in 100 MB), each a page
 * the chain walk must step over. Answers how many empty pages it holds.
 */
export async function writeEmptyOggPages(file: string, bytes: number): Promise<number> {
  const ident = Buffer.alloc(30);
  ident.write('\x01vorbis', 0, 'latin1');
  ident[11] = 2;
  ident.writeUInt32LE(44_100, 12);
  const first = oggPage(0x02, ident);
  const empty = oggPage(0, Buffer.alloc(0));
  const count = Math.floor(bytes / empty.length);
  const whole = Buffer.alloc(first.length + count * empty.length);
  first.copy(whole, 0);
  // Filled in place: a million copies through Buffer.concat are slow.
  for (let at = first.length; at < whole.length; at += empty.length) empty.copy(whole, at);
  await writeFile(file, whole);
  return count;
}

function oggPage(flags: number, body: Buffer): Buffer {
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'latin1');
  header[5] = flags;
  header.writeUInt32LE(1, 14);
  header[26] = body.length > 0 ? 1 : 0;
  const table = body.length > 0 ? Buffer.from([body.length]) : Buffer.alloc(0);
  return Buffer.concat([header, table, body]);
}
