import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { createRedis } from '@ingest/queue';
import { openStorage, type Storage } from '@ingest/storage';
import { RedisServer, waitUntil } from '@ingest/testkit';
import { pino } from 'pino';
import { startTranscoder } from './transcoder';

let redisServer: RedisServer;
let dataDir: string;

before(async () => {
  redisServer = await RedisServer.start();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'transcoder-close-'));
});

after(async () => {
  await redisServer?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The real file storage, except that its close fails. */
function storageFailingToClose(): Storage {
  const real = openStorage(`file://${path.join(dataDir, 'storage')}`);
  return new Proxy(real, {
    get(target, key) {
      if (key === 'close') {
        return () => Promise.reject(new Error('storage would not close'));
      }
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

test('a close step that fails is logged and the later steps still run', async () => {
  const { logger, lines } = memoryLogger();
  const config = loadConfig({
    REDIS_URL: redisServer.url,
    TRANSCODER_PORT: '0',
    TRANSCODER_CONCURRENCY: '1',
    HOST: '127.0.0.1',
    INGEST_DATA_DIR: dataDir,
    INGEST_SHUTDOWN_TIMEOUT: '4s',
  });
  const transcoder = await startTranscoder(config, {
    logger,
    storage: storageFailingToClose(),
  });
  const probe = createRedis(redisServer.url, 'command');

  try {
    const healthz = `http://127.0.0.1:${transcoder.port}/healthz`;
    assert.equal((await fetch(healthz)).status, 200);

    await transcoder.close();

    const failed = lines.filter((line) => line.msg === 'close step failed');
    assert.deepEqual(
      failed.map((line) => line.step),
      ['storage'],
    );
    // The steps after storage ran: the ops server and the transcoder's
    // connection are gone, leaving the probe alone on the server.
    await waitUntil(
      async () =>
        String(await probe.client('LIST')).trim().split('\n').length === 1,
      { timeoutMs: 5_000, message: 'transcoder connection still open' },
    );
    await assert.rejects(fetch(healthz));
    // A second close waits for the same run and fails nothing new.
    await transcoder.close();
    assert.equal(
      lines.filter((line) => line.msg === 'close step failed').length,
      1,
    );
  } finally {
    probe.disconnect();
  }
});
