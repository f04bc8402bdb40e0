/**
 * What the storage sweep tests share: `npm run storage:sweep` run as an
 * operator runs it, and files dated as if written days ago.
 */
import { execFile } from 'node:child_process';
import { readdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface SweepRun {
  code: number;
  /** The JSON answer, when it printed one. */
  answer?: any;
  stderr: string;
}

/** Runs the sweep with `env` added to this process's. */
export async function runSweep(
  env: Record<string, string>,
  ...args: string[]
): Promise<SweepRun> {
  const { code, stdout, stderr } = await run(
    'npm',
    ['run', '--silent', 'storage:sweep', '--', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', ...env },
      timeout: 60_000,
    },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  return { code, stderr, answer: stdout.trim() ? JSON.parse(stdout) : undefined };
}

/** Dates every file under `dir` (not `skip`) at `when`. */
export async function backdateTree(
  dir: string,
  when: Date,
  skip: Set<string> = new Set(),
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  for (const entry of entries) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !skip.has(file)) await utimes(file, when, when);
  }
}
