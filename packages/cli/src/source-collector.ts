import type { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliUsageError } from './exit-codes';

/** One thing to upload: a URL or a local file. */
export type UploadItem =
  | { kind: 'url'; url: string; name: string }
  | { kind: 'file'; path: string; name: string };

/**
 * Extensions picked up when walking a folder (files named are always
 * taken): those of every container the gateway accepts (README, "Source
 * containers accepted").
 */
export const AUDIO_EXTENSIONS = new Set([
  '.mp3', '.mp2', '.wav', '.wave', '.rf64', '.w64', '.aif', '.aiff', '.aifc',
  '.flac', '.ogg', '.oga', '.opus', '.m4a', '.mp4', '.aac', '.caf', '.wv',
  '.ape', '.tta', '.au', '.snd', '.amr', '.mka', '.webm', '.wma', '.ac3',
  '.eac3', '.ec3', '.dts', '.dtshd', '.thd', '.truehd', '.mlp', '.dsf', '.dff',
]);

/** What a folder walk passed over for its extension, to tell the user. */
export interface IgnoredFiles {
  count: number;
  /** Files per extension (lower case, `''` for none). */
  byExtension: Map<string, number>;
  /** The first one met, as an example. */
  first?: string;
}

/**
 * Entries of a folder that are no file to send, by kind, as `--json`
 * names them. A link loop counts as a dangling link: it leads nowhere.
 */
export interface NotFiles {
  dangling_links: string[];
  /** Not followed, so no loop can hold the walk. */
  folder_links: string[];
  fifos: string[];
  sockets: string[];
  /** Block and character devices. */
  devices: string[];
}

export type NotFileKind = keyof NotFiles;

export interface CollectedSources {
  items: UploadItem[];
  ignored: IgnoredFiles;
  notFiles: NotFiles;
}

/** What a walk gathers besides the files it takes. */
interface WalkReport {
  ignored: IgnoredFiles;
  notFiles: NotFiles;
}

/**
 * Expands the command line's sources: URLs as given, files as given,
 * folders walked recursively for audio files (hidden entries skipped),
 * in a stable order. Files of a folder whose extension is not in
 * `AUDIO_EXTENSIONS` are counted in `ignored`; entries of a folder that
 * are no file (links to nothing or to folders, pipes, sockets, devices)
 * are listed in `notFiles`. A path that does not exist is a usage
 * error, found before anything is uploaded. A path named is taken as
 * given, whatever it is.
 */
export async function collectSources(args: string[]): Promise<CollectedSources> {
  const items: UploadItem[] = [];
  const report: WalkReport = {
    ignored: { count: 0, byExtension: new Map() },
    notFiles: {
      dangling_links: [],
      folder_links: [],
      fifos: [],
      sockets: [],
      devices: [],
    },
  };
  for (const arg of args) {
    if (/^https?:\/\//i.test(arg)) {
      if (!URL.canParse(arg)) throw new CliUsageError(`not a URL: ${arg}`);
      items.push({ kind: 'url', url: arg, name: nameFromUrl(arg) });
      continue;
    }
    const info = await stat(arg).catch((err: NodeJS.ErrnoException) => {
      throw new CliUsageError(`${cannotReach(err.code)}: ${arg}`);
    });
    if (info.isDirectory()) {
      for (const file of await walk(arg, report)) {
        items.push({ kind: 'file', path: file, name: path.basename(file) });
      }
    } else {
      items.push({ kind: 'file', path: arg, name: path.basename(arg) });
    }
  }
  return { items, ...report };
}

/**
 * Why a path named cannot be taken. Every failure read "no such file or
 * folder", a link loop and a folder without permission too.
 */
function cannotReach(code: string | undefined): string {
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'ELOOP') return 'a link loop, leading to no file or folder (ELOOP)';
  if (code === 'EACCES') return 'not allowed to look there (EACCES)';
  if (code === 'ENOTDIR') return 'a part of the path is a file, not a folder (ENOTDIR)';
  return `cannot be read (${code ?? 'unknown error'})`;
}

async function walk(dir: string, report: WalkReport): Promise<string[]> {
  const { ignored, notFiles } = report;
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      files.push(...(await walk(full, report)));
      continue;
    }
    const kind = await kindOf(entry, full);
    if (kind !== 'file') {
      notFiles[kind].push(full);
      continue;
    }
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

/**
 * A folder entry that is not a folder: a file, or why it is none. A link
 * to a file is that file (a library of links to masters, say); links to
 * folders are not followed, so no loop can hold the walk.
 */
async function kindOf(entry: Dirent, full: string): Promise<'file' | NotFileKind> {
  let info: Dirent | Stats = entry;
  if (entry.isSymbolicLink()) {
    const target = await stat(full).catch(() => undefined);
    if (!target) return 'dangling_links';
    if (target.isDirectory()) return 'folder_links';
    info = target;
  }
  if (info.isFile()) return 'file';
  if (info.isFIFO()) return 'fifos';
  if (info.isSocket()) return 'sockets';
  return 'devices';
}

const NOT_FILE_LABELS: Record<NotFileKind, string> = {
  dangling_links: 'dangling links (target missing, or a loop)',
  folder_links: 'links to folders, not followed',
  fifos: 'named pipes (FIFOs)',
  sockets: 'sockets',
  devices: 'devices',
};

/**
 * One line per kind of entry a walk met that is no file to send: how
 * many, and the first few as examples.
 */
export function describeNotFiles(notFiles: NotFiles): string[] {
  const lines: string[] = [];
  for (const [kind, label] of Object.entries(NOT_FILE_LABELS)) {
    const paths = notFiles[kind as NotFileKind];
    if (paths.length === 0) continue;
    const more = paths.length > 3 ? ', …' : '';
    const hint =
      kind === 'folder_links' ? '; name one on the command line to walk it' : '';
    lines.push(
      `${label}: ${paths.length} in folders left out ` +
        `(${paths.slice(0, 3).join(', ')}${more})${hint}`,
    );
  }
  return lines;
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
