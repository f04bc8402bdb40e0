/**
 * `npm start` without INGEST_DEV_TOKEN, started again on its data dir:
 * each start made a new site with a new token, and the job a newcomer
 * made before the restart answered `job 1 not found` to the new token.
 * The second start now prints the first one's token and sees its job;
 * `site:rotate` of that site's token writes the new one into the file,
 * so the start after it opens the same site (it made a new, empty one),
 * and the kept file stays its owner's only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { waitUntil } from '@ingest/testkit';
import { devSiteFile } from '../../scripts/dev-site-file';
import {
  assertRefusedPlainly,
  bannerLine,
  processesOf,
  stackPorts,
  startStack,
} from './stack-processes';

const ROOT = path.resolve(import.meta.dirname, '../..');

test('a second npm start on the same data dir keeps the site, its token and jobs', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-dev-site-'));
  const dataDir = path.join(dir, 'data');
  const env = { INGEST_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(await stackPorts()) };
  const gateway = `http://127.0.0.1:${env.PORT}/api/import`;
  const call = async (token: string, endpoint: string, body: object) => {
    const res = await fetch(`${gateway}/${endpoint}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  try {
    const first = await running(env);
    const made = await call(first.token, 'createJob', { name: 'before the restart' });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const jobId: number = made.body.job_id;
    assert.ok(first.output.includes(
      `  export INGEST_URL=http://localhost:${env.PORT} INGEST_TOKEN=${first.token}\n`,
    ), first.output);
    assert.equal(bannerLine(first.output, 'site kept in'), devSiteFile(dataDir));
    assert.equal((await stat(devSiteFile(dataDir))).mode & 0o777, 0o600);
    await first.stop();

    const second = await running(env);
    assert.deepEqual(
      [second.siteId, second.token, second.secret],
      [first.siteId, first.token, first.secret],
    );
    const seen = await call(second.token, 'checkJob', { job_id: jobId });
    assert.equal(seen.status, 200, JSON.stringify(seen.body));

    // The kept token rotated: the file gets the new one, and the next
    // start opens the same site with it.
    const rotate = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/rotate-site.ts', '--site', String(second.siteId), '--token'],
      { cwd: ROOT, env: { ...process.env, INGEST_DATA_DIR: dataDir } },
    );
    const rotated = JSON.parse(rotate.stdout);
    assert.equal(rotated.dev_site_file, devSiteFile(dataDir));
    await second.stop();

    const third = await running(env);
    assert.deepEqual([third.siteId, third.token], [first.siteId, rotated.token]);
    assert.doesNotMatch(third.output, /no longer answers to its token/);
    const kept = JSON.parse(await readFile(devSiteFile(dataDir), 'utf8'));
    assert.deepEqual(kept, { siteId: first.siteId, token: rotated.token });
    assert.equal((await stat(devSiteFile(dataDir))).mode & 0o777, 0o600);
    assert.equal((await call(third.token, 'checkJob', { job_id: jobId })).status, 200);
    await third.stop();
  } finally {
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await rm(dir, { recursive: true, force: true });
  }
});

test('a kept file that is a directory refuses the start; one not JSON is said', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-dev-site-'));
  const dataDir = path.join(dir, 'data');
  const env = { INGEST_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(await stackPorts()) };
  await mkdir(devSiteFile(dataDir), { recursive: true });

  try {
    // It made a site, then failed to write it there: a JSON line with a
    // stack, and a site more in Redis at each try.
    const refused = startStack(env);
    await assertRefusedPlainly(
      refused,
      /dev-site\.json cannot be read \(not a file\); npm start keeps its default site/,
    );
    assert.deepEqual(await processesOf(dataDir), [], 'nothing left running');

    // A file that is no JSON gave a new site without a word.
    await rm(devSiteFile(dataDir), { recursive: true });
    await writeFile(devSiteFile(dataDir), '{"siteId": 1, "tok');
    const started = await running(env);
    assert.match(
      started.output,
      /dev-site\.json named no site \(not JSON; moved to \S+\.json\.bad-\S+\): made site 1/,
    );
    const aside = /moved to (\S+)\)/.exec(started.output)![1];
    assert.equal(await readFile(aside, 'utf8'), '{"siteId": 1, "tok');
    await started.stop();
  } finally {
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await rm(dir, { recursive: true, force: true });
  }
});

/** A start whose banner is out whole; what it told, and how to stop it. */
async function running(env: Record<string, string>) {
  const start = startStack(env);
  try {
    assert.equal(await start.outcome, 'banner', start.output());
    await waitUntil(() => start.output().includes('Ctrl-C stops everything'), {
      timeoutMs: 10_000,
      message: () => `banner cut short:\n${start.output()}`,
    });
  } catch (err) {
    await start.stop();
    throw err;
  }
  const output = start.output();
  return {
    output,
    siteId: Number(bannerLine(output, 'site id')),
    token: bannerLine(output, 'token'),
    secret: bannerLine(output, 'webhook secret'),
    stop: async () => {
      await start.stop();
      assert.equal(await start.exited, 0, start.output());
    },
  };
}
