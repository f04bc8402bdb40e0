import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * How old a temp file must be before a sweep takes it. Writers keep their
 * temp files a few minutes at most (a fetch is cut at its timeout, a local
 * copy is released when its run ends), so a day old means its writer died
 * (SIGKILL, OOM, power loss) without the cleanup a `finally` would do.
 */
export const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

/**
 * Removes the entries of `dir` whose name passes `owned` and that nothing
 * has touched for `olderThanMs` (a folder counts as touched when any file
 * directly in it was). Several processes may share `dir`, which is why
 * age decides and not who made it. Returns the names removed.
 */
export async function sweepStale(
  dir: string,
  olderThanMs: number,
  owned: (name: string) => boolean = () => true,
  now = Date.now(),
): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const swept: string[] = [];
  for (const name of names.filter(owned)) {
    const entry = path.join(dir, name);
    const touched = await lastTouched(entry);
    if (touched === undefined || now - touched < olderThanMs) continue;
    await rm(entry, { recursive: true, force: true });
    swept.push(name);
  }
  return swept;
}

async function lastTouched(entry: string): Promise<number | undefined> {
  const info = await stat(entry).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs;
  for (const name of await readdir(entry).catch(() => [] as string[])) {
    const inner = await stat(path.join(entry, name)).catch(() => undefined);
    if (inner) latest = Math.max(latest, inner.mtimeMs);
  }
  return latest;
}
