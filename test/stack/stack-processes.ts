/** Starting `npm start`, and finding the processes it made, through /proc. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '@ingest/testkit';
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

const ROOT = path.resolve(import.meta.dirname, '../..');
const BANNER = 'catalog-ingest is running';

export interface StackStart {
  /** The pid of the script's process. */
  pid: number;
  /** The exit code, or 'banner' once it says it is running. */
  outcome: Promise<number | null | 'banner'>;
  /** The exit code, once all it printed has been read. */
  exited: Promise<number | null>;
  /** What it printed so far, stdout and stderr together. */
  output(): string;
  /** What it printed on stderr so far. */
  errors(): string;
  /** Stops it (SIGINT) if it still runs, and waits for its exit. */
  stop(): Promise<void>;
}

/** Runs `npm start`'s script with `env` added, until it exits or runs. */
export function startStack(env: Record<string, string>): StackStart {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-stack.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  // 'close', not 'exit': by then all it printed has been read.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const outcome = new Promise<number | null | 'banner'>((resolve) => {
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(BANNER)) resolve('banner');
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    void exited.then(resolve);
  });
  return {
    pid: child.pid!,
    outcome,
    exited,
    output: () => output,
    errors: () => errors,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Runs a shell command line in the repository, as a user would paste it. */
export function runInRepo(command: string): Promise<{ code: number | null; output: string }> {
  const child = spawn('sh', ['-c', command], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => {
    child.once('close', (code) => resolve({ code, output }));
  });
}

/**
 * Checks that a start was refused as a person should read it: exit 1,
 * and on stderr one plain line matching `refusal`, with no stack trace
 * and no JSON log line around it.
 */
export async function assertRefusedPlainly(
  start: StackStart,
  refusal: RegExp,
): Promise<void> {
  const result = await start.outcome;
  assert.notEqual(result, 'banner', `started, though it should refuse:\n${start.output()}`);
  assert.equal(result, 1, start.output());
  assertOneLine(start.errors(), refusal);
}

/** `stderr` is one line matching `refusal`: no stack, no JSON. */
export function assertOneLine(stderr: string, refusal: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `more than one line on stderr:\n${stderr}`);
  assert.match(lines[0], refusal);
  assert.doesNotMatch(lines[0], /^\{/, 'a JSON log line');
}

/** The value of one `  label: value` line of the banner. */
export function bannerLine(output: string, label: string): string {
  const match = new RegExp(`^  ${label}:\\s+(\\S+)$`, 'm').exec(output);
  assert.ok(match, `no "${label}:" line in:\n${output}`);
  return match[1];
}

/** Free ports for a stack's three services, as its settings take them. */
export async function stackPorts() {
  return {
    PORT: String(await freePort()),
    TRANSCODER_PORT: String(await freePort()),
    NOTIFIER_PORT: String(await freePort()),
  };
}
