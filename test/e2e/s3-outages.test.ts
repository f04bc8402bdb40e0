/**
 * The S3 adapter when the store fails: stopped, hung (accepts the
 * connection and never answers), or set up wrong (no such bucket,
 * unknown key). Calls fail in bounded time with an error that says
 * the store is at fault, and readiness says why.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

/** Runs `call`, which must fail with an outage that `cause` names. */
async function failsAsOutage(call: () => Promise<unknown>, cause: RegExp) {
  await assert.rejects(call(), (err: Error) => {
    assert.ok(err instanceof StorageUnavailableError, String(err));
    assert.match(err.message, /^storage unreachable: /);
    assert.match(err.message, cause);
    return true;
  });
}

/**
 * What ends a call to the hung store: its idle limit as `open` sets it,
 * not the default 30 s, nor a wait for ever.
 */
const IDLE_LIMIT = /socket timed out after 1500 ms of inactivity/;

test('a hung store fails reads, opens and writes in bounded time', async () => {
  const storage = open();
  await storage.put('hung/a.txt', Readable.from(['before the hang']));
  const before = await storage.open('hung/a.txt');
  assert.ok(before);

  relay.mode = 'hang';
  try {
    await failsAsOutage(() => storage.open('hung/a.txt'), IDLE_LIMIT);
    await failsAsOutage(() => storage.read('hung/a.txt'), IDLE_LIMIT);
    await failsAsOutage(() => storage.localCopy('hung/a.txt'), IDLE_LIMIT);
    await failsAsOutage(
      () => storage.put('hung/b.txt', Readable.from(['x'])),
      IDLE_LIMIT,
    );
    // A download opened before the hang: its bytes never come, and the
    // stream fails rather than waiting for ever.
    await failsAsOutage(() => text(before.stream()), IDLE_LIMIT);
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
    // The abort ended it: the idle limit would have made it an outage.
    await assert.rejects(put, (err: Error) => {
      assert.ok(!(err instanceof StorageUnavailableError), 'not an outage');
      assert.equal(err.name, 'AbortError', String(err));
      return true;
    });
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
    await failsAsOutage(() => storage.size('x/one.txt'), /ECONNREFUSED/);
    await failsAsOutage(() => storage.localCopy('x/one.txt'), /ECONNREFUSED/);
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
    const readiness = await storage.ready();
    assert.equal(readiness.ready, false);
    // Its own 3 s limit ended the check, not the SDK's retried attempts.
    assert.equal(readiness.reason, 'storage unreachable: no answer within 3000 ms');
  } finally {
    relay.mode = 'pass';
  }
});

test('a missing bucket is an outage, not a missing object', async () => {
  // HEAD answers have no body: a missing bucket is a bare 404 there,
  // which read as "no such object" errored uploads as source_missing.
  const url = server.storageUrl.replace('catalog?', 'no-such-bucket?');
  const storage = open({}, url);
  const gone = (err: Error) => {
    assert.ok(err instanceof StorageUnavailableError, String(err));
    assert.match(err.message, /bucket no-such-bucket does not exist/);
    return true;
  };
  await assert.rejects(storage.size('sources/1/x'), gone);
  await assert.rejects(storage.open('sources/1/x'), gone);
  // In a bucket that exists, a missing key is still just missing.
  assert.equal(await open().size('sources/1/x'), undefined);
  assert.equal(await open().open('sources/1/x'), undefined);
});

test('a store that stops mid-write fails the put as an outage', async () => {
  const own = await s3TestServer('mid-write');
  const storage = open({ partSize: 5 * 1024 * 1024 }, own.storageUrl);
  try {
    // 20 MiB, 1 MiB every 100 ms: the store stops after the first part.
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent === 20) return this.push(null);
        setTimeout(() => this.push(Buffer.alloc(1024 * 1024, sent++)), 100);
      },
    });
    const put = storage.put('big/one.bin', body);
    setTimeout(() => void own.stop(), 800);
    await assert.rejects(put, (err: Error) => {
      assert.ok(err instanceof StorageUnavailableError, String(err));
      assert.match(err.message, /^storage unreachable: /);
      return true;
    });
  } finally {
    await own.close();
  }
});

/**
 * Runs `fn` with none of the AWS SDK's sources of credentials or region
 * in reach: no variables, no shared files, no instance metadata (the
 * SDK would otherwise ask 169.254.169.254, which no test may reach).
 */
async function withoutAwsSetup<T>(fn: () => Promise<T>): Promise<T> {
  const names = [
    'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
    'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION',
    'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED',
  ];
  const saved = new Map(names.map((name) => [name, process.env[name]]));
  for (const name of names) delete process.env[name];
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(workDir, 'no-credentials');
  process.env.AWS_CONFIG_FILE = path.join(workDir, 'no-config');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  try {
    return await fn();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

test('no credentials anywhere: not ready, and calls fail as an outage', async () => {
  await withoutAwsSetup(async () => {
    const storage = open({ credentials: undefined });
    const readiness = await storage.ready();
    assert.equal(readiness.ready, false);
    assert.match(readiness.reason ?? '', /no credentials.*AWS_ACCESS_KEY_ID/);
    await assert.rejects(storage.size('x/one.txt'), (err: Error) => {
      assert.ok(err instanceof StorageUnavailableError, String(err));
      assert.match(err.message, /no credentials/);
      return true;
    });
    await assert.rejects(
      storage.put('x/two.txt', Readable.from(['two'])),
      StorageUnavailableError,
    );
  });
});

test('no region anywhere: not ready, and calls fail as an outage', async () => {
  await withoutAwsSetup(async () => {
    const url = server.storageUrl
      .replace(server.endpoint, relayEndpoint())
      .replace('&region=us-east-1', '');
    const storage = open({}, url);
    const readiness = await storage.ready();
    assert.equal(readiness.ready, false);
    assert.match(readiness.reason ?? '', /no region.*AWS_REGION/);
    const local = path.join(workDir, 'three.txt');
    await writeFile(local, 'three');
    for (const call of [
      () => storage.size('x/one.txt'),
      () => storage.put('x/two.txt', Readable.from(['two'])),
      () => storage.putFile('x/three.txt', local),
    ]) {
      await assert.rejects(call(), (err: Error) => {
        assert.ok(err instanceof StorageUnavailableError, String(err));
        assert.match(err.message, /no region/);
        return true;
      });
    }
  });
});
