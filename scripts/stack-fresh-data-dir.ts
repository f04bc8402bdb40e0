/**
 * The data dir of a first `npm start` stopped before it made its site (a
 * Ctrl-C while it starts, a service not ready): it was left half-made,
 * with an empty Redis, a store marked for that Redis, and the claim or
 * the write check of a start cut short, none of it anyone's. Removed, the
 * next start on the same path begins afresh.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { removeMadeDataDir } from '@ingest/telemetry';
import { dataDirHeld } from './stack-lock';

/** Files a start and its services write before any site exists. */
const START_FILES = [
  /^stack\.pid$/,
  /^redis\.url$/,
  // The store's mark of the Redis below, made with it.
  /^storage\/catalog-id$/,
  // A write check cut short (prepareDataDir), of npm start or a service.
  /(?:^|\/)\.write-check-[\w-]+$/,
];

/**
 * Empties `dir` and removes it with the folders of its path down from
 * `made` (as removeMadeDataDir), when it holds only what a start makes
 * before its site: the private Redis's own folder, the files above, and
 * empty folders. Anything else (a file a user put there) keeps it all as
 * it is, and so does another live start's claim: two first starts on one
 * new path, the one that made it may lose the claim to the other, whose
 * stack.pid and running Redis are then all the folder holds. Gives
 * whether it was removed.
 */
export async function removeFreshDataDir(dir: string, made: string): Promise<boolean> {
  if (await dataDirHeld(dir)) return false;
  if (!(await onlyStartFiles(dir, ''))) return false;
  for (const entry of await readdir(dir)) {
    await rm(path.join(dir, entry), { recursive: true, force: true });
  }
  await removeMadeDataDir(dir, made);
  return true;
}

async function onlyStartFiles(dir: string, below: string): Promise<boolean> {
  const entries = await readdir(path.join(dir, below), { withFileTypes: true }).catch(
    () => undefined,
  );
  if (!entries) return false;
  for (const entry of entries) {
    const name = path.posix.join(below, entry.name);
    // The Redis npm start ran there, holding no site yet.
    if (name === 'redis' && entry.isDirectory()) continue;
    const fits = entry.isDirectory()
      ? await onlyStartFiles(dir, name)
      : entry.isFile() && START_FILES.some((pattern) => pattern.test(name));
    if (!fits) return false;
  }
  return true;
}
