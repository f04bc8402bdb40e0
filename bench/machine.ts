import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import { defaultBinaryPaths } from '@ingest/media';

const run = promisify(execFile);

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  ffmpeg: string;
  redis: string;
  kernel: string;
  /** 1, 5 and 15 minute load averages. */
  load: number[];
}

/** What the figures were taken on, and how busy it was. */
export async function machineFacts(): Promise<MachineFacts> {
  const { ffmpegPath } = defaultBinaryPaths();
  const ffmpeg = await firstLine(ffmpegPath, ['-version']);
  const redis = await firstLine('redis-server', ['--version']);
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    ffmpeg: `${ffmpeg} (${ffmpegPath})`,
    redis,
    kernel: `${os.type()} ${os.release()}`,
    load: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

async function firstLine(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(cmd, args);
    return stdout.split('\n')[0].trim();
  } catch {
    return 'unavailable';
  }
}

/** Load average now, as `uptime` prints it. */
export function loadNow(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(', ');
}

/** Percentage of CPU time the whole machine was busy between two reads. */
export async function cpuTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0];
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * CPU ticks used by this process and its reaped descendants (the stack's
 * services and their ffmpeg runs, once stopped): with `cpuTicks` it tells
 * how much of the machine other work took during the run.
 */
export async function ownTicks(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // utime, stime, cutime, cstime are fields 14–17 (11–14 after the name).
  return fields[11] + fields[12] + fields[13] + fields[14];
}
