import type { Dirent } from 'node:fs';
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

/** What a folder walk passed over for its extension, to tell the user. */
export interface IgnoredFiles {
  count: number;
  /** Files per extension (lower case, `''` for none). */
  byExtension: Map<string, number>;
  /** The first one met, as an example. */
  first?: string;
}

export interface CollectedSources {
  items: UploadItem[];
  ignored: IgnoredFiles;
}

/**
 * Expands the command line's sources: URLs as given, files as given,
 * folders walked recursively for audio files (hidden entries skipped),
 * in a stable order. Files of a folder whose extension is not in
 * `AUDIO_EXTENSIONS` are counted in `ignored`. A path that does not
 * exist is a usage error, found before anything is uploaded.
 */
export async function collectSources(args: string[]): Promise<CollectedSources> {
  const items: UploadItem[] = [];
  const ignored: IgnoredFiles = { count: 0, byExtension: new Map() };
  for (const arg of args) {
    if (/^https?:\/\//i.test(arg)) {
      if (!URL.canParse(arg)) throw new CliUsageError(`not a URL: ${arg}`);
      items.push({ kind: 'url', url: arg, name: nameFromUrl(arg) });
      continue;
    }
    const info = await stat(arg).catch(() => undefined);
    if (!info) throw new CliUsageError(`no such file or folder: ${arg}`);
    if (info.isDirectory()) {
      for (const file of await walk(arg, ignored)) {
        items.push({ kind: 'file', path: file, name: path.basename(file) });
      }
    } else {
      items.push({ kind: 'file', path: arg, name: path.basename(arg) });
    }
  }
  return { items, ignored };
}

async function walk(dir: string, ignored: IgnoredFiles): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      files.push(...(await walk(full, ignored)));
      continue;
    }
    // A link to a file is that file (a library of links to masters, say);
    // links to folders are not followed, so no loop can hold the walk.
    if (!entry.isFile() && !(await isLinkToFile(entry, full))) continue;
    const extension = path.extname(entry.name).toLowerCase();
    if (AUDIO_EXTENSIONS.has(extension)) {
      files.push(full);
      continue;
    }
    ignored.count++;
    ignored.first ??= full;
    const seen = ignored.byExtension.get(extension) ?? 0;
    ignored.byExtension.set(extension, seen + 1);
  }
  return files;
}

async function isLinkToFile(entry: Dirent, full: string): Promise<boolean> {
  if (!entry.isSymbolicLink()) return false;
  const target = await stat(full).catch(() => undefined);
  return target?.isFile() === true;
}

/**
 * One line for the files a walk passed over, however many: the most
 * common extensions with their counts, and one file as an example.
 */
export function describeIgnored(ignored: IgnoredFiles): string | undefined {
  if (ignored.count === 0) return undefined;
  const kinds = [...ignored.byExtension].sort(
    (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
  );
  const shown = kinds
    .slice(0, 5)
    .map(([ext, n]) => `${n} ${ext || 'without extension'}`);
  if (kinds.length > 5) shown.push(`${kinds.length - 5} other extension(s)`);
  // Worded as `--json` names them (`not_audio_files`); "not sent" is
  // for sources a stopped run did not get to (`not_sent`).
  return (
    `not audio by extension: ${ignored.count} file(s) in folders left ` +
    `out (${shown.join(', ')}; e.g. ${ignored.first}); ` +
    'name a file on the command line to send it anyway'
  );
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
