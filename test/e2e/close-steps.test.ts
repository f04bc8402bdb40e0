/**
 * A service's close runs fixed steps, each guarded (STYLE rule 13): a
 * step that fails is logged by name and the steps after it still run,
 * and a second close fails nothing new. Run on the gateway and the
 * transcoder, in-process on a Redis of their own, with a storage whose
 * close rejects. A start that fails part way closes what it opened.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { loadConfig, type Config } from '@ingest/config';
import { startGateway } from '@ingest/gateway/src/gateway';
import { createRedis } from '@ingest/queue';
import { openStorage, type Storage } from '@ingest/storage';
import { RedisServer, waitUntil } from '@ingest/testkit';
import { startTranscoder } from '@ingest/transcoder/src/transcoder';
import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';

let redisServer: RedisServer;
let dataDir: string;

before(async () => {
  redisServer = await RedisServer.start();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'close-steps-'));
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

type Start = (
  config: Config,
  overrides: { logger: Logger; storage: Storage },
) => Promise<{ port: number; close(): Promise<void> }>;

interface Service {
  name: string;
  start: Start;
  env: Record<string, string>;
  /** The variable of the port it serves on. */
  portVar: string;
}

const SERVICES: Service[] = [
  { name: 'gateway', start: startGateway, env: { PORT: '0' }, portVar: 'PORT' },
  {
    name: 'transcoder',
    start: startTranscoder,
    env: { TRANSCODER_PORT: '0', TRANSCODER_CONCURRENCY: '1' },
    portVar: 'TRANSCODER_PORT',
  },
];

/** Whether the probe is alone on the server: every other client left. */
async function aloneOnRedis(probe: Redis): Promise<boolean> {
  return String(await probe.client('LIST')).trim().split('\n').length === 1;
}

for (const service of SERVICES) {
  test(`${service.name}: a failed close step is logged, the later steps run`, async () => {
    const { logger, lines } = memoryLogger();
    const config = loadConfig({
      REDIS_URL: redisServer.url,
      HOST: '127.0.0.1',
      INGEST_DATA_DIR: dataDir,
      INGEST_SHUTDOWN_TIMEOUT: '4s',
      ...service.env,
    });
    const running = await service.start(config, {
      logger,
      storage: storageFailingToClose(),
    });
    const probe = createRedis(redisServer.url, 'command');
    const failures = () => lines.filter((line) => line.msg === 'close step failed');

    try {
      const healthz = `http://127.0.0.1:${running.port}/healthz`;
      assert.equal((await fetch(healthz)).status, 200);

      await running.close();

      assert.deepEqual(
        failures().map((line) => line.step),
        ['storage'],
      );
      // The steps after storage ran: the service's connections are gone,
      // leaving the probe alone on the server.
      await waitUntil(() => aloneOnRedis(probe), {
        timeoutMs: 5_000,
        message: `${service.name} connections still open`,
      });
      await assert.rejects(fetch(healthz));
      // A second close waits for the same run and fails nothing new.
      await running.close();
      assert.equal(failures().length, 1);
    } finally {
      probe.disconnect();
    }
  });
}

/** A port something else listens on, until `close`. */
async function takenPort() {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Starts that fail after Redis connected: at the last step, or before. */
const FAILED_STARTS: {
  service: Service;
  cause: string;
  error: RegExp;
  env?: object;
}[] = [
  ...SERVICES.map((service) => ({
    service,
    cause: 'its port is taken',
    error: /another process holds the port/,
  })),
  {
    service: SERVICES[1],
    cause: 'ffmpeg is missing',
    error: /no-such-ffmpeg/,
    env: { FFMPEG_PATH: path.join(os.tmpdir(), 'no-such-ffmpeg') },
  },
];

for (const { service, cause, error, env } of FAILED_STARTS) {
  test(`${service.name}: a start that fails as ${cause} leaves no Redis client`, async () => {
    const taken = await takenPort();
    const probe = createRedis(redisServer.url, 'command');
    try {
      const config = loadConfig({
        REDIS_URL: redisServer.url,
        HOST: '127.0.0.1',
        INGEST_DATA_DIR: dataDir,
        ...service.env,
        [service.portVar]: String(taken.port),
        ...env,
      });
      await assert.rejects(
        service.start(config, {
          logger: memoryLogger().logger,
          storage: openStorage(`file://${path.join(dataDir, 'storage')}`),
        }),
        error,
      );
      await waitUntil(() => aloneOnRedis(probe), {
        timeoutMs: 5_000,
        message: () => `${service.name} left clients open on Redis`,
      });
    } finally {
      probe.disconnect();
      await taken.close();
    }
  });
}
