/**
 * The S3 adapter when the store fails: stopped, hung (accepts the
 * connection and never answers), or set up wrong (no such bucket,
 * unknown key). Calls fail in bounded time with an error that says
 * the store is at fault, and readiness says why.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import {
  S3Storage,
  StorageUnavailableError,
  parseS3Url,
  type S3StorageOptions,
} from '@ingest/storage';
import {
  s3TestServer,
  tcpRelay,
  type S3TestServer,
  type TcpRelay,
} from '@ingest/testkit';

let server: S3TestServer;
let relay: TcpRelay;
let workDir: string;
const opened: S3Storage[] = [];

/** A store reached through the relay, with short timeouts. */
function open(extra: Partial<S3StorageOptions> = {}, url?: string) {
  const storage = new S3Storage({
    location: parseS3Url(
      url ?? server.storageUrl.replace(server.endpoint, relayEndpoint()),
    ),
    credentials: server.credentials,
    workDir,
    connectTimeoutMs: 1_000,
    idleTimeoutMs: 1_500,
    ...extra,
  });
  opened.push(storage);
  return storage;
}

const relayEndpoint = () => `http://127.0.0.1:${relay.port}`;

before(async () => {
  server = await s3TestServer();
  relay = await tcpRelay(Number(new URL(server.endpoint).port));
  workDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-s3-outage-'));
});

after(async () => {
  for (const storage of opened) await storage.close();
  await relay?.close();
  await server?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** Runs `call`, which must fail with an outage within `withinMs`. */
async function failsAsOutage(call: () => Promise<unknown>, withinMs: number) {
  const started = Date.now();
  await assert.rejects(call(), (err: Error) => {
    assert.ok(err instanceof StorageUnavailableError, String(err));
    assert.match(err.message, /^storage unreachable: /);
    return true;
  });
  const took = Date.now() - started;
  assert.ok(took < withinMs, `failed after ${took} ms, not within ${withinMs}`);
}

test('a hung store fails reads, opens and writes in bounded time', async () => {
  const storage = open();
  await storage.put('hung/a.txt', Readable.from(['before the hang']));
  const before = await storage.open('hung/a.txt');
  assert.ok(before);

  relay.mode = 'hang';
  try {
    await failsAsOutage(() => storage.open('hung/a.txt'), 10_000);
    await failsAsOutage(() => storage.read('hung/a.txt'), 10_000);
    await failsAsOutage(() => storage.localCopy('hung/a.txt'), 10_000);
    await failsAsOutage(
      () => storage.put('hung/b.txt', Readable.from(['x'])),
      10_000,
    );
    // A download opened before the hang: its bytes never come, and the
    // stream fails rather than waiting for ever.
    const started = Date.now();
    await assert.rejects(text(before.stream()));
    assert.ok(Date.now() - started < 10_000);
  } finally {
    relay.mode = 'pass';
  }
  assert.equal(await text(await storage.read('hung/a.txt')), 'before the hang');
});

test('a write to a hung store stops as soon as its sender is gone', async () => {
  // Timeouts far off: only the abort can end the call in time.
  const storage = open({ idleTimeoutMs: 60_000 });
  relay.mode = 'hang';
  try {
    const gone = new AbortController();
    const body = Readable.from([Buffer.alloc(1024, 1)]);
    const put = storage.put('hung/c.bin', body, Infinity, gone.signal);
    setTimeout(() => gone.abort(new Error('client hung up')), 500);
    const started = Date.now();
    await assert.rejects(put, (err: Error) => {
      assert.ok(!(err instanceof StorageUnavailableError), 'not an outage');
      return true;
    });
    assert.ok(Date.now() - started < 3_000, 'the write stopped promptly');
  } finally {
    relay.mode = 'pass';
  }
});

test('a stopped store fails calls with a reason a person can act on', async () => {
  const own = await s3TestServer('stopped');
  const storage = open({}, own.storageUrl);
  try {
    await storage.put('x/one.txt', Readable.from(['one']));
    await own.stop();
    await failsAsOutage(() => storage.size('x/one.txt'), 10_000);
    await failsAsOutage(() => storage.localCopy('x/one.txt'), 10_000);
    const readiness = await storage.ready();
    assert.equal(readiness.ready, false);
    assert.match(readiness.reason ?? '', /^storage unreachable: /);

    await own.start();
    assert.deepEqual(await storage.ready(), { ready: true });
    assert.equal(await storage.size('x/one.txt'), 3);
  } finally {
    await own.close();
  }
});

test('readiness: a missing probe object is ready', async () => {
  assert.deepEqual(await open().ready(), { ready: true });
});

test('readiness: a missing bucket is not ready, and says so', async () => {
  const url = server.storageUrl.replace('catalog?', 'no-such-bucket?');
  const readiness = await open({}, url).ready();
  assert.equal(readiness.ready, false);
  assert.match(readiness.reason ?? '', /bucket no-such-bucket does not exist/);
});

test('readiness: refused credentials are not ready, and say so', async () => {
  const stranger = open({
    credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'wrong' },
  });
  const readiness = await stranger.ready();
  assert.equal(readiness.ready, false);
  assert.match(readiness.reason ?? '', /InvalidAccessKeyId.*credentials/);
});

test('readiness: a hung store is not ready within the check time', async () => {
  const storage = open();
  relay.mode = 'hang';
  try {
    const started = Date.now();
    const readiness = await storage.ready();
    assert.equal(readiness.ready, false);
    assert.match(readiness.reason ?? '', /storage unreachable/);
    assert.ok(Date.now() - started < 5_000);
  } finally {
    relay.mode = 'pass';
  }
});
