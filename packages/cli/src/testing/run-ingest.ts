import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const BIN = path.join(ROOT, 'packages/cli/bin/ingest.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface StartOptions {
  /** Ends a run that hangs (code null), so a test fails rather than stalls. */
  killAfterMs?: number;
  /** Closes the pipe at once, as `| head` does once it has read enough. */
  closeStdout?: boolean;
  /** `ulimit -f`: writes past this many KiB fail (EFBIG), as on a full disk. */
  fileSizeLimitKib?: number;
}

export interface RunningIngest {
  child: ChildProcessByStdio<null, Readable, Readable>;
  done: Promise<CliRun>;
}

/**
 * Starts `ingest` as a child process through pipes, as a script would;
 * `child` is there for signals, `done` gives what it printed and its code.
 */
export function startIngest(
  args: string[],
  env: Record<string, string>,
  options: StartOptions = {},
): RunningIngest {
  const limit = options.fileSizeLimitKib;
  const node = [process.execPath, BIN, ...args];
  // bash sets the limit, then becomes node: the same pid, for signals.
  const [command, ...argv] =
    limit === undefined ? node : ['bash', '-c', `ulimit -f ${limit}; exec "$@"`, 'bash', ...node];
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (options.closeStdout) child.stdout.destroy();
  const guard = options.killAfterMs
    ? setTimeout(() => child.kill('SIGKILL'), options.killAfterMs)
    : undefined;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done };
}

/** Runs `ingest` to its end; see `startIngest`. */
export function runIngest(
  args: string[],
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<CliRun> {
  return startIngest(args, env, options).done;
}

/** stdout as the one JSON document `--json` promises. */
export function jsonOf(run: CliRun): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`stdout is not JSON:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}
