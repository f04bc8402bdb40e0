/** Finding the processes a running `npm start` made, through /proc. */
import { readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { commandOf } from '../faults/fault-kit';

/** Pids of processes whose environment names this data dir. */
export async function processesOf(dataDir: string): Promise<number[]> {
  const mark = `INGEST_DATA_DIR=${dataDir}\0`;
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const environ = await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '');
    // redis-server gets an environment of its own; it runs in the data dir.
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (environ.includes(mark) || cwd.startsWith(dataDir + path.sep)) {
      pids.push(Number(name));
    }
  }
  return pids;
}

/**
 * The pid of the stack's process whose command line has `part` (e.g.
 * `dist/transcoder.mjs`, `redis-server`), if one runs.
 */
export async function pidRunning(
  dataDir: string,
  part: string,
): Promise<number | undefined> {
  for (const pid of await processesOf(dataDir)) {
    const command = await commandOf(pid);
    if (command?.some((arg) => arg.includes(part))) return pid;
  }
  return undefined;
}
