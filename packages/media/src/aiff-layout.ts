import { open, type FileHandle } from 'node:fs/promises';
import { readAt } from './pcm-header';

/**
 * The speaker layout of an AIFF rendition. ffmpeg 4.1's AIFF muxer names
 * a layout in the file's CHAN chunk (Apple's extension of AIFF) by a
 * CoreAudio layout tag, and for some layouts the tag it picks means
 * another one: a 5.0 source (back surrounds) read back as 5.0(side), quad
 * as quad(side). The samples are right and in order; only the label was
 * wrong. So after ffmpeg writes an AIFF of more than two channels, its
 * CHAN chunk is rewritten in place (same 12 bytes) to CoreAudio's "use
 * channel bitmap" form, whose bits are WAV's channel mask: every layout
 * below then reads back as the source's. A layout not in the table keeps
 * what ffmpeg wrote.
 */

// ffprobe's layout names and their WAV channel masks (FL 0x1, FR 0x2,
// FC 0x4, LFE 0x8, BL 0x10, BR 0x20, FLC 0x40, FRC 0x80, BC 0x100,
// SL 0x200, SR 0x400).
const LAYOUT_MASKS: Record<string, number> = {
  '2.1': 0x00b,
  '3.0': 0x007,
  '3.0(back)': 0x103,
  '4.0': 0x107,
  quad: 0x033,
  'quad(side)': 0x603,
  '3.1': 0x00f,
  '5.0': 0x037,
  '5.0(side)': 0x607,
  '4.1': 0x10f,
  '5.1': 0x03f,
  '5.1(side)': 0x60f,
  '6.0': 0x707,
  '6.0(front)': 0x6c3,
  hexagonal: 0x137,
  '6.1': 0x70f,
  '6.1(back)': 0x13f,
  '6.1(front)': 0x6cb,
  '7.0': 0x637,
  '7.0(front)': 0x6c7,
  '7.1': 0x63f,
  '7.1(wide)': 0x6cf,
  '7.1(wide-side)': 0x0ff,
  octagonal: 0x737,
};

/** WAV channel mask of a named layout, or null when not in the table. */
export function channelMaskOf(layout: string | null): number | null {
  return layout !== null && Object.hasOwn(LAYOUT_MASKS, layout)
    ? LAYOUT_MASKS[layout]
    : null;
}

// CoreAudio's kAudioChannelLayoutTag_UseChannelBitmap.
const USE_CHANNEL_BITMAP = 0x10000;
const MAX_CHUNKS = 64;

/**
 * Rewrites the CHAN chunk of the AIFF at `path` to name `layout` by its
 * channel bitmap. Returns whether it did: false when the layout is not in
 * the table or the file has no 12-byte CHAN chunk (then nothing changes).
 */
export async function labelAiffLayout(
  path: string,
  layout: string | null,
): Promise<boolean> {
  const mask = channelMaskOf(layout);
  if (mask === null) return false;
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r+');
    const head = await readAt(file, 0, 12);
    const form = head.toString('latin1', 8, 12);
    if (head.toString('latin1', 0, 4) !== 'FORM') return false;
    if (form !== 'AIFF' && form !== 'AIFC') return false;
    let offset = 12;
    for (let i = 0; i < MAX_CHUNKS; i++) {
      const header = await readAt(file, offset, 8);
      if (header.length < 8) return false;
      const size = header.readUInt32BE(4);
      if (header.toString('latin1', 0, 4) === 'CHAN') {
        if (size !== 12) return false;
        const body = Buffer.alloc(12);
        body.writeUInt32BE(USE_CHANNEL_BITMAP, 0);
        body.writeUInt32BE(mask, 4);
        await file.write(body, 0, 12, offset + 8);
        return true;
      }
      // Chunks are padded to an even size.
      offset += 8 + size + (size % 2);
    }
    return false;
  } finally {
    await file?.close();
  }
}
