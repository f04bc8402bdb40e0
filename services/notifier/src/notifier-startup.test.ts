import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { jobIds, openQueue, PreflightError } from '@ingest/queue';
import { StateStore } from '@ingest/state';
import { freePort, redisForTests, RedisServer } from '@ingest/testkit';
import { simpleParser } from 'mailparser';
import { startNotifier } from './notifier';
import { completedJob, memoryLogger, waitFor } from './test-support';
import {
  bundlePath,
  ensureServicesBuilt,
  SERVICE_NODE_FLAGS,
} from '@ingest/build';

const own = redisForTests({ role: 'worker' });
let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'notifier-outbox-'));
});

after(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function testConfig(redisUrl: string, port = 0) {
  return loadConfig({
    REDIS_URL: redisUrl,
    NOTIFIER_PORT: String(port),
    HOST: '127.0.0.1',
    INGEST_DATA_DIR: dataDir,
    INGEST_EMAIL_SCHEDULE: '100ms',
    LOG_LEVEL: 'silent',
  });
}

test('without SMTP_URL the summary lands in the outbox as .eml', async () => {
  const store = new StateStore(own.redis);
  const completions = openQueue('completion', own.redis);
  const notifier = await startNotifier(testConfig(own.server.url), {
    logger: memoryLogger().logger,
  });

  try {
    const to = 'outbox-reader@example.com';
    const fixture = await completedJob(store, { oncomplete: to });
    await completions.add(
      'completion',
      { jobId: fixture.job.id },
      { jobId: jobIds.completion(fixture.job.id) },
    );

    const outbox = path.join(dataDir, 'outbox');
    // The message is written to a temp name and renamed: wait for the
    // rename, after which the temp file is gone.
    const files = await waitFor(async () => {
      const names = await readdir(outbox).catch(() => []);
      return names.some((name) => name.endsWith('.eml')) && names;
    });
    assert.equal(files.length, 1, files.join(', '));
    assert.match(files[0], /^job-\d+-[0-9a-f]{32}\.eml$/);

    const raw = await readFile(path.join(outbox, files[0]));
    assert.match(raw.toString('latin1'), /\r\n/);
    const mail = await simpleParser(raw);
    assert.match(mail.subject ?? '', new RegExp(`Job ${fixture.job.id}\\b`));
    assert.ok(mail.text && mail.html, 'text and html parts');
    // The file is in place before the notifier logs the delivery.
    const log = await waitFor(async () => {
      const rows = await store.deliveries.list(fixture.job.id);
      return rows.length > 0 && rows;
    });
    assert.deepEqual(
      log.map((d) => [d.channel, d.ok, d.target]),
      [['email', true, 'o***@example.com']],
    );
  } finally {
    await notifier.close();
    await completions.close();
  }
});

test('a Redis that may evict keys is refused at start', async () => {
  const evicting = await RedisServer.start({
    args: ['--maxmemory-policy', 'allkeys-lru'],
  });
  try {
    await assert.rejects(
      startNotifier(testConfig(evicting.url), {
        logger: memoryLogger().logger,
      }),
      (err: unknown) =>
        err instanceof PreflightError && /noeviction/.test(err.message),
    );
  } finally {
    await evicting.close();
  }
});

test('the notifier bundle gets ready and exits 0 on SIGTERM', async () => {
  await ensureServicesBuilt();
  const root = path.resolve(fileURLToPath(import.meta.url), '../../../..');
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...SERVICE_NODE_FLAGS, bundlePath('notifier')],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH,
        REDIS_URL: own.server.url,
        NOTIFIER_PORT: String(port),
        HOST: '127.0.0.1',
        INGEST_DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
      },
    },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  try {
    await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(
        () => undefined,
      );
      return res?.status === 200;
    }, 20_000);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
