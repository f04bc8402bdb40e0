/**
 * Refusals of `npm start`: a bad setting threw a stack trace, and a
 * machine without redis-server (the README's one requirement beside
 * Node) crashed on an unhandled spawn error, leaving its claim on the
 * data dir behind; a redis-server or a service that did not start
 * printed a fatal JSON line with a stack inside. Each must be one plain
 * line on stderr (a service adds its own), exit 1, and leave nothing.
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createRedis } from '@ingest/queue';
import { freePort, RedisServer } from '@ingest/testkit';
import { stackLockFile } from '../../scripts/stack-lock';
import { assertRefusedPlainly, processesOf, stackPorts, startStack } from './stack-processes';

test('npm start with a bad setting names it in one line', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-refusal-'));
  const dataDir = path.join(dir, 'data');
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    ...(await stackPorts()),
    TRANSCODER_PORT: 'ninety',
  });
  try {
    await assertRefusedPlainly(start, /^invalid configuration: TRANSCODER_PORT: /);
  } finally {
    await start.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('npm start without redis-server on the PATH says so in one line', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-refusal-'));
  const dataDir = path.join(dir, 'data');
  // A PATH with nothing on it: node itself is run by its full path.
  const emptyBin = path.join(dir, 'bin');
  await mkdir(emptyBin);
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    PATH: emptyBin,
    ...(await stackPorts()),
  });
  try {
    await assertRefusedPlainly(
      start,
      /^redis-server is not on the PATH: install it .*, or set REDIS_URL/,
    );
    assert.deepEqual(await processesOf(dataDir), [], 'nothing left running');
    await assert.rejects(access(stackLockFile(dataDir)), { code: 'ENOENT' });
  } finally {
    await start.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('npm start with INGEST_DATA_DIR pointing at a file says so in one line', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-refusal-'));
  // A file where the data dir should be, and a path beneath a file: both
  // failed the claim on the data dir with a fatal JSON line and a stack.
  const file = path.join(dir, 'not-a-folder');
  await writeFile(file, 'x');
  try {
    for (const dataDir of [file, path.join(file, 'sub')]) {
      const start = startStack({ INGEST_DATA_DIR: dataDir, ...(await stackPorts()) });
      try {
        await assertRefusedPlainly(
          start,
          new RegExp(
            `^INGEST_DATA_DIR ${dataDir} is not a folder this process can write ` +
              // The code once, not "EEXIST: EEXIST: …".
              '\\((EEXIST|ENOTDIR): (?!EEXIST|ENOTDIR).*\\); point it at one$',
          ),
        );
      } finally {
        await start.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// What failed during the start, and where, in one line: these printed
// the stack's fatal JSON line with a stack trace inside.
test('npm start whose redis-server exits during its start says why in one line', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-refusal-'));
  const dataDir = path.join(dir, 'data');
  // A damaged append-only file: redis-server refuses to load it.
  const aofDir = path.join(dataDir, 'redis', 'appendonlydir');
  await mkdir(aofDir, { recursive: true });
  await writeFile(path.join(aofDir, 'appendonly.aof.manifest'), 'garbage\n');
  const start = startStack({ INGEST_DATA_DIR: dataDir, ...(await stackPorts()) });
  try {
    await assertRefusedPlainly(
      start,
      new RegExp(
        '^redis-server exited during its start \\(127\\.0\\.0\\.1:\\d+, ' +
          `dir ${path.join(dataDir, 'redis')}\\): Invalid AOF manifest file format$`,
      ),
    );
    assert.deepEqual(await processesOf(dataDir), [], 'nothing left running');
    await assert.rejects(access(stackLockFile(dataDir)), { code: 'ENOENT' });
  } finally {
    await start.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('npm start whose service exits during its start adds one line', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-refusal-'));
  const dataDir = path.join(dir, 'data');
  const ports = await stackPorts();
  // Taken by the settings, refused by the transcoder, the first started.
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    ...ports,
    STORAGE_URL: 's3://',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  try {
    assert.equal(await start.outcome, 1, start.output());
    assert.deepEqual(start.errors().trimEnd().split('\n'), [
      'transcoder could not start: invalid configuration: ' +
        'STORAGE_URL: "" is not a valid bucket name',
      'transcoder exited with 1 before it was ready ' +
        `(http://127.0.0.1:${ports.TRANSCODER_PORT}/readyz)`,
    ]);
    assert.doesNotMatch(start.output(), /^\s+at /m, 'a stack trace');
    assert.deepEqual(await processesOf(dataDir), [], 'nothing left running');
  } finally {
    await start.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('npm start whose service is not ready in 30 s says which, where and why', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-refusal-'));
  const dataDir = path.join(dir, 'data');
  const ports = await stackPorts();
  // An S3 endpoint nothing listens on: the transcoder runs, and its
  // /readyz answers 503 for as long as the storage cannot be reached.
  const s3Port = await freePort();
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    ...ports,
    STORAGE_URL: `s3://catalog?endpoint=http://127.0.0.1:${s3Port}&region=local-1`,
    AWS_ACCESS_KEY_ID: 'test-key',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  try {
    assert.equal(await start.outcome, 1, start.output());
    const lines = start.errors().trimEnd().split('\n');
    assert.match(
      lines[lines.length - 1],
      new RegExp(
        '^transcoder not ready in 30 s \\(pid \\d+, ' +
          `http://127\\.0\\.0\\.1:${ports.TRANSCODER_PORT}/readyz; last answer: ` +
          `503 .*storage unreachable: connect ECONNREFUSED 127\\.0\\.0\\.1:${s3Port}.*\\)$`,
      ),
    );
    assert.doesNotMatch(start.output(), /^\s+at /m, 'a stack trace');
    assert.doesNotMatch(start.output(), /"level":60/, 'a fatal JSON line');
    assert.deepEqual(await processesOf(dataDir), [], 'nothing left running');
  } finally {
    await start.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('npm start with a REDIS_URL that does not answer says so in one line', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-refusal-'));
  const dataDir = path.join(dir, 'data');
  // Nothing listens there. The services waited for it, and the start
  // ended after 30 s with "transcoder not ready", its own port refused.
  const redisPort = await freePort();
  const start = startStack({
    INGEST_DATA_DIR: dataDir,
    ...(await stackPorts()),
    REDIS_URL: `redis://:a-password@127.0.0.1:${redisPort}`,
  });
  try {
    await assertRefusedPlainly(
      start,
      new RegExp(
        `^REDIS_URL redis://127\\.0\\.0\\.1:${redisPort} does not answer within 5 s ` +
          `\\(connect ECONNREFUSED 127\\.0\\.0\\.1:${redisPort}\\): start that Redis`,
      ),
    );
    assert.doesNotMatch(start.output(), /a-password/);
    assert.deepEqual(await processesOf(dataDir), [], 'nothing left running');
  } finally {
    await start.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

// A data dir first run with npm start's own Redis, then with a REDIS_URL
// of yours: the transcoder refuses the store, but the Redis given had
// been given the default site and a catalog id already.
test('npm start refused on the catalog mark leaves the given Redis as it was', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-refusal-'));
  const dataDir = path.join(dir, 'data');
  await mkdir(path.join(dataDir, 'storage'), { recursive: true });
  await writeFile(path.join(dataDir, 'storage', 'catalog-id'), 'its-own-redis\nits-store\n');
  const given = await RedisServer.start();
  const redis = createRedis(given.url);
  const ports = await stackPorts();
  const start = startStack({ INGEST_DATA_DIR: dataDir, REDIS_URL: given.url, ...ports });
  try {
    assert.equal(await start.outcome, 1, start.output());
    assert.match(
      start.errors(),
      new RegExp(
        '^transcoder could not start: STORAGE_URL \\S+ holds the files of another ' +
          'catalog \\(its-own-redis\\) than the Redis at REDIS_URL \\(which has no ' +
          'catalog id yet\\)',
        'm',
      ),
    );
    assert.deepEqual(await redis.keys('*'), [], 'the given Redis was written');
  } finally {
    redis.disconnect();
    await start.stop();
    await given.close();
    await rm(dir, { recursive: true, force: true });
  }
});
