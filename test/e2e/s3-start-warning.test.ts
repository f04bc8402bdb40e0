import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  ServiceProcess,
  freePort,
  redisForTests,
  s3TestServer,
  waitUntil,
  type S3TestServer,
  type ServiceName,
} from '@ingest/testkit';

// A store the services cannot use at start (a wrong key pair, a missing
// bucket) stops no start: /readyz answers 503 with the reason
// (docs/operations.md, "Object storage (S3)"). Whoever starts them by
// hand reads that reason in the start's own log lines as well, rather
// than a bare "gateway listening". Real processes, a real redis-server
// and a real S3-compatible server (s3rver) on loopback.

let dir: string;
let s3: S3TestServer;
const started: ServiceProcess[] = [];
const own = redisForTests({
  closeFirst: () => Promise.all(started.map((service) => service.stop('SIGTERM'))),
});

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-s3-start-'));
  s3 = await s3TestServer();
});

after(async () => {
  await s3?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const PORT_VAR: Record<string, string> = {
  gateway: 'PORT',
  transcoder: 'TRANSCODER_PORT',
};

/** Starts `name` against the test store with `env` over its settings. */
async function spawn(
  name: ServiceName,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const port = await freePort();
  const service = await ServiceProcess.spawn(name, {
    port,
    env: {
      ...s3.env,
      AWS_EC2_METADATA_DISABLED: 'true',
      REDIS_URL: own.server.url,
      [PORT_VAR[name]]: String(port),
      HOST: '127.0.0.1',
      INGEST_DATA_DIR: path.join(dir, `${name}-${port}`),
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  started.push(service);
  return service;
}

/** The JSON log line with `msg`, once the service printed it. */
async function logLine(service: ServiceProcess, msg: string) {
  return waitUntil(
    () =>
      service.logs
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === msg),
    { timeoutMs: 30_000, message: () => `no "${msg}" in:\n${service.logs}` },
  );
}

const WARNING = 'storage not ready at start; /readyz answers 503 until it is';

for (const name of ['gateway', 'transcoder'] as const) {
  test(`${name}: a wrong key pair is told in the start's own lines`, async () => {
    const service = await spawn(name, {
      AWS_ACCESS_KEY_ID: 'WRONG',
      AWS_SECRET_ACCESS_KEY: 'WRONG',
    });
    const line = await logLine(service, WARNING);
    assert.equal(line.level, 40);
    assert.match(String(line.reason), /InvalidAccessKeyId.*credentials/);
    // It still runs, not ready: the keys may be fixed without a restart.
    const answer = await fetch(`http://127.0.0.1:${service.port}/readyz`);
    assert.equal(answer.status, 503);
  });
}

test('gateway: a missing bucket is told at start; a good store gives no line', async () => {
  const missing = await spawn('gateway', {
    STORAGE_URL: s3.storageUrl.replace(`s3://${s3.bucket}`, 's3://no-such-bucket'),
  });
  const line = await logLine(missing, WARNING);
  assert.equal(line.reason, 'storage: bucket no-such-bucket does not exist');

  const good = await spawn('gateway', {});
  await good.waitReady(30_000);
  await logLine(good, 'gateway listening');
  assert.doesNotMatch(good.logs, /storage not ready at start/);
});
