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
}
