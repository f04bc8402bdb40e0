import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ScriptRefusal } from './script-refusal';

/**
 * One `npm start` per data dir. A second one on the same INGEST_DATA_DIR
 * (started on other ports after the first refused its busy ones) ran a
 * second redis-server on the same append-only file: both appended to
 * it, so the first stack's Redis, once restarted, held the second's
 * site and counters; the two shared stored files by id, and the second
 * left `redis.url` naming its own, stopped, Redis.
 */
export function stackLockFile(dataDir: string): string {
  return path.join(dataDir, 'stack.pid');
}

/**
 * Claims the data dir for this process, or throws naming the live
 * process that holds it. A claim whose process is gone is taken over.
 */
export async function claimDataDir(dataDir: string): Promise<void> {
  const file = stackLockFile(dataDir);
  await mkdir(dataDir, { recursive: true });
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await holderOf(file);
    if (holder !== undefined && (await isStack(holder))) {
      throw new ScriptRefusal(
        `INGEST_DATA_DIR ${dataDir} is in use by another npm start ` +
          `(pid ${holder}); stop it, or give this one a data dir of its own`,
      );
    }
    await rm(file, { force: true });
  }
}

/** Gives the claim up, if this process still holds it. */
export async function releaseDataDir(dataDir: string): Promise<void> {
  const file = stackLockFile(dataDir);
  if ((await holderOf(file)) === process.pid) await rm(file, { force: true });
}

/** Whether another live `npm start` holds the data dir. */
export async function dataDirHeld(dataDir: string): Promise<boolean> {
  return (await dataDirHolder(dataDir)) !== undefined;
}

/** The pid of another live `npm start` that holds the data dir, if one. */
export async function dataDirHolder(dataDir: string): Promise<number | undefined> {
  const holder = await holderOf(stackLockFile(dataDir));
  return holder !== undefined && (await isStack(holder)) ? holder : undefined;
}

async function holderOf(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Whether `pid` is another live `npm start`: a pid of a start that was
 * killed may since have gone to some other process.
 */
async function isStack(pid: number): Promise<boolean> {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return command === undefined || command.includes('start-stack');
}
