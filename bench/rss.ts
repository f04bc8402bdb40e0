import { readdir, readFile } from 'node:fs/promises';

/** Resident memory of processes, read from /proc (Linux). */

async function statusField(pid: number, field: string): Promise<number> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export const rssOf = (pid: number) => statusField(pid, 'VmRSS');
export const peakRssOf = (pid: number) => statusField(pid, 'VmHWM');

/**
 * The pids of a process's descendants (ffmpeg children of a service),
 * from each thread's `children` file: the sampler runs during the
 * measured work, and walking all of /proc cost ~20 ms of CPU a sample
 * (10% of a core at 5 samples a second), which slowed what it measured.
 */
export async function descendants(root: number): Promise<number[]> {
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const children = await childrenOf(queue.shift()!);
    if (children === null) return scanDescendants(root);
    found.push(...children);
    queue.push(...children);
  }
  return found;
}

/**
 * Children started by a process's main thread (node spawns from it;
 * ffmpeg spawns nothing). Null when the kernel offers no such file.
 */
async function childrenOf(pid: number): Promise<number[] | null> {
  try {
    await readdir(`/proc/${pid}/task`);
  } catch {
    return []; // exited meanwhile
  }
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.split(' ').filter((id) => id.trim()).map(Number);
  } catch {
    return null;
  }
}

/** The same by reading every process's parent: slow, for old kernels. */
async function scanDescendants(root: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) follows the ")" that closes the command name.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(name));
      parents.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

export interface RssTrace {
  /** Highest RSS of the process itself seen while sampling. */
  peak: number;
  /** Highest RSS of the process plus its descendants. */
  treePeak: number;
  samples: number;
}

/**
 * Samples a process's RSS (and its children's, when `tree`) until
 * stopped. Sampling the tree walks /proc, so it runs less often.
 */
export function sampleRss(pid: number, intervalMs = 100, tree = false) {
  const trace: RssTrace = { peak: 0, treePeak: 0, samples: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const own = await rssOf(pid);
      let total = own;
      if (tree) {
        for (const child of await descendants(pid)) total += await rssOf(child);
      }
      trace.peak = Math.max(trace.peak, own);
      trace.treePeak = Math.max(trace.treePeak, total);
      trace.samples += 1;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    trace,
    async stop(): Promise<RssTrace> {
      stopped = true;
      await loop;
      return trace;
    },
  };
}
