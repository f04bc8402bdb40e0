import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliUsageError } from './exit-codes';

/** One thing to upload: a URL or a local file. */
export type UploadItem =
  | { kind: 'url'; url: string; name: string }
  | { kind: 'file'; path: string; name: string };

/** Extensions picked up when walking a folder (files named are always taken). */
export const AUDIO_EXTENSIONS = new Set([
  '.mp3', '.wav', '.wave', '.aif', '.aiff', '.aifc', '.flac',
  '.ogg', '.oga', '.opus', '.m4a', '.mp4', '.aac', '.wma',
]);

/**
 * Expands the command line's sources: URLs as given, files as given,
 * folders walked recursively for audio files (hidden entries skipped),
 * in a stable order. A path that does not exist is a usage error, found
 * before anything is uploaded.
 */
export async function collectSources(args: string[]): Promise<UploadItem[]> {
  const items: UploadItem[] = [];
  for (const arg of args) {
    if (/^https?:\/\//i.test(arg)) {
      items.push({ kind: 'url', url: arg, name: nameFromUrl(arg) });
      continue;
    }
    const info = await stat(arg).catch(() => undefined);
    if (!info) throw new CliUsageError(`no such file or folder: ${arg}`);
    if (info.isDirectory()) {
      for (const file of await walk(arg)) {
        items.push({ kind: 'file', path: file, name: path.basename(file) });
      }
    } else {
      items.push({ kind: 'file', path: arg, name: path.basename(arg) });
    }
  }
  return items;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full)));
    else if (
      entry.isFile() &&
      AUDIO_EXTENSIONS.has(path.extname(entry.name).toLowerCase())
    ) {
      files.push(full);
    }
  }
  return files;
}

/** The last path segment of a URL, decoded: what a CSV row names. */
export function nameFromUrl(url: string): string {
  const segment = new URL(url).pathname.split('/').filter(Boolean).at(-1);
  if (!segment) return url;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
