/**
 * `npm start` notes its Redis in `$INGEST_DATA_DIR/redis.url` for
 * `npm run site:create`, and left the file behind when it stopped. The
 * next site:create then went to the stopped Redis's port, which another
 * Redis on the machine may have taken since, and made the site there.
 * A stack that stops must take its note away with its claim, and one
 * started with a REDIS_URL must take away a note a killed start left.
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, RedisServer, waitUntil } from '@ingest/testkit';
import { stackLockFile } from '../../scripts/stack-lock';
import { redisUrlFile } from '../../scripts/stack-redis';
import {
  assertOneLine,
  assertRefusedPlainly,
  processesOf,
  runInRepo,
  stackPorts,
  startStack,
} from './stack-processes';

test('npm start stopped by Ctrl-C leaves no redis.url behind', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-redis-url-'));
  const dataDir = path.join(dir, 'data');
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    ...(await stackPorts()),
    LOG_LEVEL: 'warn',
  });
  try {
    assert.equal(await start.outcome, 'banner', start.output());
    await waitUntil(() => /^ {2}redis: +\S+$/m.test(start.output()), {
      timeoutMs: 10_000,
      message: () => `no redis line in the banner:\n${start.output()}`,
    });
    const banner = /^ {2}redis: +(\S+)$/m.exec(start.output())![1];
    const noted = await readFile(redisUrlFile(dataDir), 'utf8');
    assert.equal(noted.trim(), banner, 'the running stack notes its Redis');
    // Refused while it runs, naming it: "kill its pid, in stack.pid" did
    // not say where that file lies.
    const leftovers = await runInRepo(
      `env -u REDIS_URL INGEST_DATA_DIR='${dataDir}' npm run -s stack:stop-leftovers`,
    );
    assert.equal(leftovers.code, 1, leftovers.output);
    assertOneLine(
      leftovers.output,
      new RegExp(`in use by a running npm start \\(pid ${start.pid}\\): stop that one`),
    );

    await start.stop();
    await assert.rejects(access(redisUrlFile(dataDir)), { code: 'ENOENT' });
    await assert.rejects(access(stackLockFile(dataDir)), { code: 'ENOENT' });
  } finally {
    await start.stop();
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await rm(dir, { recursive: true, force: true });
  }
});

test('npm start with a REDIS_URL takes away a redis.url a killed start left', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-redis-url-'));
  const dataDir = path.join(dir, 'data');
  const given = await RedisServer.start();
  // What a `kill -9` of a start with its own Redis leaves: the note, and
  // a claim naming a process that is gone.
  await mkdir(dataDir, { recursive: true });
  await writeFile(redisUrlFile(dataDir), `redis://127.0.0.1:${await freePort()}\n`);
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    REDIS_URL: given.url,
    ...(await stackPorts()),
    LOG_LEVEL: 'warn',
  });
  try {
    assert.equal(await start.outcome, 'banner', start.output());
    await assert.rejects(access(redisUrlFile(dataDir)), { code: 'ENOENT' });
  } finally {
    await start.stop();
    await given.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('with a REDIS_URL, a running start is not taken for one that was killed', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-redis-url-'));
  const dataDir = path.join(dir, 'data');
  const given = await RedisServer.start();
  const env = {
    INGEST_DATA_DIR: dataDir,
    REDIS_URL: given.url,
    ...(await stackPorts()),
    LOG_LEVEL: 'warn',
  };
  const start = startStack(env);
  let second: ReturnType<typeof startStack> | undefined;
  try {
    assert.equal(await start.outcome, 'banner', start.output());
    // Such a start claims no data dir: its live services were stopped
    // as leftovers, under it, which started them again.
    const stopped = await runInRepo(
      `env -u REDIS_URL INGEST_DATA_DIR='${dataDir}' npm run -s stack:stop-leftovers`,
    );
    assert.equal(stopped.code, 0, stopped.output);
    assert.match(stopped.output, /^nothing of a killed npm start runs on INGEST_DATA_DIR/);
    assert.doesNotMatch(start.output(), /exited/);

    // The same start again: its ports are in use, by a start that runs.
    second = startStack(env);
    await assertRefusedPlainly(second, /^port in use on 127\.0\.0\.1: PORT=\d+, /);
    assert.doesNotMatch(second.errors(), /killed/);

    // The data dir given, as the refusal without a note tells: it said so
    // again, though such a start notes no Redis there.
    const created = await runInRepo(
      `env -u REDIS_URL INGEST_DATA_DIR='${dataDir}' npm run -s site:create -- --name Two`,
    );
    assert.equal(created.code, 1, created.output);
    assertOneLine(created.output, /or set REDIS_URL \(the one it was given, if it was: /);
  } finally {
    await second?.stop();
    await start.stop();
    await given.close();
    await rm(dir, { recursive: true, force: true });
  }
});
