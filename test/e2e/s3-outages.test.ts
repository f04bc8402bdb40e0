/**
 * The S3 adapter when the store fails: hung (accepts the connection and
 * never answers), or set up wrong (no such bucket, unknown key).
 * Readiness says why.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  S3Storage,
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

/** A store reached through the relay. */
function open(extra: Partial<S3StorageOptions> = {}, url?: string) {
  const storage = new S3Storage({
    location: parseS3Url(
      url ?? server.storageUrl.replace(server.endpoint, relayEndpoint()),
    ),
    credentials: server.credentials,
    workDir,
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
