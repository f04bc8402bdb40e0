import { randomUUID } from 'node:crypto';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StartRefusal } from '@ingest/core';

/**
 * Makes `INGEST_DATA_DIR` if it is missing and checks that this process
 * can write in it: a path that is a file, or a folder it may not write,
 * would otherwise let the service start and then fail every upload,
 * transcode or email that needs a temp file. Gives the first folder of
 * the path it made, or undefined when the data dir was there already.
 */
export async function prepareDataDir(dir: string): Promise<string | undefined> {
  const probe = path.join(dir, `.write-check-${randomUUID()}`);
  let made: string | undefined;
  try {
    made = await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    // Node's own message starts with the code: "EEXIST: EEXIST: …" twice.
    const message = (err as Error).message;
    const reason = message.startsWith(`${code}:`) ? message : `${code}: ${message}`;
    throw new StartRefusal(
      `INGEST_DATA_DIR ${dir} is not a folder this process can write ` +
        `(${reason}); point it at one`,
      { cause: err },
    );
  }
  await rm(probe, { force: true });
  return made;
}

/**
 * Undoes `prepareDataDir` for a start refused before it ran anything:
 * removes `dir` and the folders above it up to `made` (the first one
 * prepareDataDir made), each only while empty. A folder that holds
 * anything, and every one that was there before, stays.
 */
export async function removeMadeDataDir(dir: string, made: string): Promise<void> {
  const top = path.resolve(made);
  for (let folder = path.resolve(dir); ; folder = path.dirname(folder)) {
    const below = path.relative(top, folder);
    if (below.startsWith('..') || path.isAbsolute(below)) return;
    const removed = await rmdir(folder).then(
      () => true,
      () => false,
    );
    if (!removed || folder === top) return;
  }
}
