/** Ogg pages for tests of what reads them (tags-reader's bounds). */

/** Ogg's page checksum: CRC-32, polynomial 0x04c11db7, unreflected. */
export function oggCrc(page: Buffer): number {
  let crc = 0;
  for (const byte of page) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    }
  }
  return crc >>> 0;
}

/** The pages of one packet of stream `serial` from page `sequence` on, checksummed. */
export function oggPages(packet: Buffer, sequence: number, first = false, serial = 7): Buffer[] {
  const pages: Buffer[] = [];
  for (let at = 0, n = 0; at < packet.length || n === 0; n++) {
    const body = packet.subarray(at, at + 255 * 255);
    at += body.length;
    const laces = Array(Math.floor(body.length / 255)).fill(255);
    if (at === packet.length) laces.push(body.length % 255);
    const header = Buffer.alloc(27 + laces.length);
    header.write('OggS', 0, 'latin1');
    header[5] = (n > 0 ? 1 : 0) | (first ? 2 : 0);
    header.writeUInt32LE(serial, 14);
    header.writeUInt32LE(sequence + n, 18);
    header[26] = laces.length;
    Buffer.from(laces).copy(header, 27);
    const page = Buffer.concat([header, body]);
    page.writeUInt32LE(oggCrc(page), 22);
    pages.push(page);
  }
  return pages;
}

/** An Opus identification header (OpusHead): mono, 48 kHz. */
export function opusHead(): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = 1;
  head.writeUInt32LE(48000, 12);
  return head;
}

/** An OpusTags packet of a `vendor`-byte vendor string and `count` one-byte comments. */
export function opusTags(count: number, vendor = 0): Buffer {
  const tags = Buffer.alloc(16 + vendor + 5 * count);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor, 8);
  tags.writeUInt32LE(count, 12 + vendor);
  for (let i = 0, at = 16 + vendor; i < count; i++, at += 5) {
    tags.writeUInt32LE(1, at);
    tags.write('a', at + 4, 'latin1');
  }
  return tags;
}
