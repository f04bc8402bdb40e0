import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StartRefusal } from '@ingest/core';

/**
 * Makes `INGEST_DATA_DIR` if it is missing and checks that this process
 * can write in it: a path that is a file, or a folder it may not write,
 * would otherwise let the service start and then fail every upload,
 * transcode or email that needs a temp file.
 */
export async function prepareDataDir(dir: string): Promise<void> {
  const probe = path.join(dir, `.write-check-${randomUUID()}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
  } catch (err) {
    // An fs error's message starts with its code already.
    throw new StartRefusal(
      `INGEST_DATA_DIR ${dir} is not a folder this process can write ` +
        `(${(err as Error).message}); point it at one`,
      { cause: err },
    );
  }
  await rm(probe, { force: true });
}
