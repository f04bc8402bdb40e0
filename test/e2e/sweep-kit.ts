/**
 * What the storage sweep tests share: `npm run storage:sweep` run as an
 * operator runs it, and files dated as if written days ago.
 */
import { execFile } from 'node:child_process';
import { readdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { catalogRecordOf, storeRecordOf } from '@ingest/state';
import { checkCatalogMark } from '@ingest/storage';
import { startRunKit, type RunKit } from '@ingest/transcoder/src/test-support';

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

/**
 * Real parts for runs of the transcoder (startRunKit) and a site, the
 * folder store marked as its Redis's catalog, as each service does at
 * its start.
 */
export async function startSweepRunKit(name: string): Promise<{ kit: RunKit; siteId: number }> {
  const kit = await startRunKit(name);
  const site = await kit.base.store.createSite({ name: 's', token: 't', webhookSecret: 'w' });
  await checkCatalogMark(kit.storage, catalogRecordOf(kit.redis), {
    where: 'test',
    stores: storeRecordOf(kit.redis),
    logger: { warn: () => {} },
  });
  return { kit, siteId: site.id };
}
