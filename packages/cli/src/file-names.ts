import path from 'node:path';
import { cutToBytes } from '@ingest/client';

/**
 * Longest name `download` gives a file, in bytes: NAME_MAX (255) less
 * what the SDK's temp name adds (`.` + `.<pid>.part`, pid up to 7
 * digits), so the temp file fits too.
 */
export const MAX_NAME_BYTES = 255 - '..1234567.part'.length;

/** A track's Filename without extension, made safe for a path. */
export function stemOf(filename: string | undefined, trackId: number): string {
  const name = filename ?? '';
  const stem = path.basename(name, path.extname(name));
  // Without its leading dots, as the gateway's download name has it: a
  // source named `.take` was saved as `.take.mp3`, which `ls` hides.
  // eslint-disable-next-line no-control-regex
  const safe = stem.replace(/[\x00-\x1f/\\:*?"<>|]/g, '_').replace(/^[\s.]+/, '').trim();
  return safe || String(trackId);
}

/**
 * Hands out names in one folder: `stem.fmt`, or `id-stem.fmt` when
 * another track has it (`id-2-stem.fmt`, … when that is taken too). A
 * stem too long is cut (whole characters) so the name fits
 * MAX_NAME_BYTES with its extension. Names are told apart as a folder
 * on macOS or Windows does, ignoring case and how an accent is written
 * (NFC or NFD): `Song.mp3` and `song.mp3` would be one file there, and
 * the second track's would replace the first's.
 */
export class FileNames {
  private readonly owners = new Map<string, number>();

  claim(stem: string, trackId: number, format: string): string {
    for (let n = 0; ; n++) {
      const prefix = ['', `${trackId}-`][n] ?? `${trackId}-${n}-`;
      const name = fit(`${prefix}${stem}`, `.${format}`);
      const key = name.normalize('NFC').toLowerCase();
      const owner = this.owners.get(key);
      if (owner === undefined || owner === trackId) {
        this.owners.set(key, trackId);
        return name;
      }
    }
  }
}

function fit(stem: string, extension: string): string {
  const room = MAX_NAME_BYTES - Buffer.byteLength(extension);
  return `${cutToBytes(stem, room).trimEnd()}${extension}`;
}
