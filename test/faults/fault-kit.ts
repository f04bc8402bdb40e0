/**
 * Helpers the fault tests share: waiting on conditions, looking at
 * processes through /proc, reading BullMQ queue counts, small disks.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openQueue, QUEUES, type QueueName } from '@ingest/queue';
import {
  freePort,
  makeTone,
  ServiceProcess,
  waitUntil as waitFor,
  type TestStack,
} from '@ingest/testkit';
import type { Redis } from 'ioredis';

/** Polls `check` until it returns something truthy. */
export function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 120_000,
  everyMs = 100,
): Promise<T> {
  return waitFor(check, {
    timeoutMs,
    intervalMs: everyMs,
    message: `timed out waiting: ${what}`,
  });
}

export const sleep = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** The child pids of a process (Linux). */
export async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .catch(() => '');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

/** The command line of a process, or undefined once it is gone. */
export async function commandOf(pid: number): Promise<string[] | undefined> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw ? raw.split('\0').filter(Boolean) : undefined;
}

/** True while the process exists and is not a zombie. */
export async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return state !== 'Z' && state !== 'X';
}

/** The ffmpeg transcode (not a -version / probe run) a process runs. */
export async function ffmpegChildOf(pid: number) {
  for (const child of await childrenOf(pid)) {
    const cmd = await commandOf(child);
    if (cmd && path.basename(cmd[0]) === 'ffmpeg' && cmd.includes('-i')) {
      return child;
    }
  }
  return undefined;
}

/** Job counts of every queue, by BullMQ state. */
export async function queueCounts(redis: Redis) {
  const counts: Record<string, Record<string, number>> = {};
  for (const name of Object.keys(QUEUES) as QueueName[]) {
    const queue = openQueue(name, redis);
    counts[name] = await queue.getJobCounts(
      'active',
      'waiting',
      'delayed',
      'prioritized',
      'failed',
      'completed',
    );
    await queue.close();
  }
  return counts;
}

/** How many jobs sit in `state` across every queue. */
export function totalIn(
  counts: Record<string, Record<string, number>>,
  state: string,
) {
  return Object.values(counts).reduce((sum, c) => sum + (c[state] ?? 0), 0);
}

/** Every file under a folder, as paths relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
    .catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** A JSON log line of a service, with the fields the fault tests read. */
export interface LogLine {
  level: number;
  service: string;
  msg: string;
  [field: string]: unknown;
}

/** Every JSON line the given services print from now on. */
export function collectLines(services: ServiceProcess[]): LogLine[] {
  const lines: LogLine[] = [];
  for (const service of services) {
    let partial = '';
    service.child.stdout!.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop()!;
      for (const part of parts) {
        if (part.startsWith('{')) lines.push(JSON.parse(part));
      }
    });
  }
  return lines;
}

/** True when every service of the stack answers /readyz with 200. */
export async function allReady(stack: TestStack): Promise<boolean> {
  for (const service of stack.services) {
    const res = await fetch(`http://127.0.0.1:${service.port}/readyz`)
      .catch(() => undefined);
    if (res?.status !== 200) return false;
  }
  return true;
}

/**
 * A 180 s 96 kHz 24-bit FLAC at `file`: one ffmpeg run of it (→ mp3,
 * wav, flac) lasts seconds, long enough to break something meanwhile.
 */
export function makeLongFlac(file: string): Promise<string> {
  return makeTone(file, {
    seconds: 180,
    sampleRate: 96_000,
    codec: 'flac',
    args: ['-sample_fmt', 's32', '-bits_per_raw_sample', '24'],
  });
}

/**
 * A new site's upload of `url` (→ mp3, wav, flac), published: the site,
 * a caller of its API, and the job id.
 */
export async function publishUpload(stack: TestStack, url: string) {
  const site = await stack.createSite();
  const call = (endpoint: string, params: Record<string, unknown>) =>
    stack.call(`/api/import/${endpoint}`, site.token, params);
  const upload = await call('upload', { url, formats: 'mp3,wav,flac' });
  assert.equal(upload.status, 200, JSON.stringify(upload.body));
  const published = await call('publish', {});
  assert.equal(published.status, 200, JSON.stringify(published.body));
  return { site, call, jobId: published.body.job_id as number };
}

/**
 * A tmpfs of `size` (`8m`) at `<dir>/disk`: a disk of the test's own to
 * fill. Undefined where it cannot be mounted (only root may).
 */
export async function mountSmallDisk(
  dir: string,
  size: string,
): Promise<string | undefined> {
  const target = path.join(dir, 'disk');
  await mkdir(target);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', target], {
      stdio: 'ignore',
    });
  } catch {
    return undefined;
  }
  return target;
}

/** Fills `disk` but for `leaveBytes`; answers the filler's path. */
export async function fillDisk(disk: string, leaveBytes = 0): Promise<string> {
  const filler = path.join(disk, 'filler');
  const { bavail, bsize } = await statfs(disk);
  const bytes = Math.max(0, bavail * bsize - leaveBytes);
  await writeFile(filler, Buffer.alloc(bytes)).catch(() => {});
  return filler;
}

/** A gateway on `redisUrl`, its data under `dir`, started and ready. */
export async function startGateway(
  redisUrl: string,
  dir: string,
  env: Record<string, string> = {},
): Promise<{ gateway: ServiceProcess; url: string }> {
  const port = await freePort();
  const gateway = await ServiceProcess.start('gateway', {
    port,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      INGEST_DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  return { gateway, url: `http://127.0.0.1:${port}` };
}

/**
 * A site's API caller, and an upload by URL of a file `filesUrl` serves,
 * titled `title` (what an ffmpeg wrapper acts on): its upload id.
 */
export function titledUploads(stack: TestStack, token: string, filesUrl: string) {
  const call = (endpoint: string, params: Record<string, unknown>) =>
    stack.call(`/api/import/${endpoint}`, token, params);
  const upload = async (file: string, title: string) => {
    const made = await call('upload', {
      url: `${filesUrl}/${file}`,
      meta: { Title: title },
    });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    return made.body.upload_id as number;
  };
  return { call, upload };
}
