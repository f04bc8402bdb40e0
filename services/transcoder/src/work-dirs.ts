import { readdir, rm, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'transcoder-';

/**
 * This machine's name as it goes into a folder name. Containers have
 * pid namespaces of their own, so two of them sharing one data dir may
 * both be pid 7; their host names tell them apart.
 */
export function hostTag(name = os.hostname()): string {
  return name.replace(/[^A-Za-z0-9.-]/g, '_') || 'host';
}

/** The temp folder of one transcoder process under the data dir. */
export function workDirOf(
  dataDir: string,
  pid = process.pid,
  host = hostTag(),
): string {
  return path.join(dataDir, 'work', `${PREFIX}${host}-${pid}`);
}

/**
 * The pid in a work folder's name when the folder is this host's:
 * `transcoder-<host>-<pid>`, or `transcoder-<pid>` as named before host
 * names went in. Undefined for anything else, another host's folders
 * included: whether their process lives cannot be told from here. An
 * old name carries no host, so it is taken as this host's: a container
 * still on the old version that shares the data dir (docs/operations.md
 * says not to) can lose a running upload's folder once, at the upgrade.
 */
function ownPid(name: string, host: string): number | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  let rest = name.slice(PREFIX.length);
  if (rest.startsWith(`${host}-`)) rest = rest.slice(host.length + 1);
  const pid = Number(rest);
  return /^[1-9][0-9]*$/.test(rest) && Number.isSafeInteger(pid)
    ? pid
    : undefined;
}

export interface SweepOptions {
  /** Liveness test of a pid; `process.kill(pid, 0)` by default. */
  alive?: (pid: number) => boolean;
  /**
   * At start nothing of ours exists yet, so a folder with our own pid is
   * a leftover (a container restarted and got the same pid again).
   */
  atStart?: boolean;
  /** This machine's tag (`hostTag()` by default). */
  host?: string;
}

/** True when a process with this id exists on this machine. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the work folders of transcoders that died without cleaning
 * up (SIGKILL, OOM, power loss): what they held was half-made renditions
 * that a retry makes again. Returns the pids whose folders went.
 */
export async function sweepDeadWorkDirs(
  dataDir: string,
  options: SweepOptions = {},
): Promise<number[]> {
  const alive = options.alive ?? isAlive;
  const host = options.host ?? hostTag();
  const self = options.atStart ? process.pid : undefined;
  const root = path.join(dataDir, 'work');
  const names = await readdir(root).catch(() => [] as string[]);
  const swept: number[] = [];
  for (const name of names) {
    const pid = ownPid(name, host);
    if (pid === undefined) continue;
    if (pid !== self && alive(pid)) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
    swept.push(pid);
  }
  return swept;
}

/**
 * Removes this process's work folder at a clean stop, when it is empty
 * (every run's files are gone once the worker closed). One that still
 * holds something stays for the sweep of the next start or of another
 * transcoder. True when it went.
 */
export async function removeOwnWorkDir(
  dataDir: string,
  pid = process.pid,
): Promise<boolean> {
  try {
    await rmdir(workDirOf(dataDir, pid));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Never made (no run came), or not empty: nothing of ours to do.
    if (code === 'ENOENT' || code === 'ENOTEMPTY' || code === 'EEXIST') {
      return false;
    }
    throw err;
  }
}
