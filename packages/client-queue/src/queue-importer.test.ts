import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { IngestApiError } from '@ingest/client';
import { createRedis, openQueue, openWorker } from '@ingest/queue';
import { RedisServer, tcpRelay, waitUntil } from '@ingest/testkit';
import { Redis } from 'ioredis';
import {
  ImportTimeoutError,
  ImportUnconfirmedError,
  QueueImporter,
  RedisUnreachableError,
} from './index';

describe('QueueImporter without a reachable Redis', () => {
  it('fails enqueueImport after connectTimeoutMs, naming why', async () => {
    // A port nothing listens on any more: every connection is refused.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const importer = new QueueImporter({
      redisUrl: `redis://127.0.0.1:${port}`,
      connectTimeoutMs: 500,
    });
    try {
      const error = await importer
        .enqueueImport({ v: 1, siteId: 1, source: { url: 'http://127.0.0.1:1/a.wav' } })
        .catch((err: unknown) => err);
      assert.ok(error instanceof RedisUnreachableError, String(error));
      assert.equal(error.address, `127.0.0.1:${port}`);
      // Only the connect limit's timer makes this error: it fired.
      assert.match(error.message, /did not answer within 500 ms: .*ECONNREFUSED/);

      // A bad add time limit is told as itself, not as the lost Redis.
      await assert.rejects(
        importer.enqueueImport(
          { v: 1, siteId: 1, source: { url: 'http://127.0.0.1:1/a.wav' } },
          { timeoutMs: -1 },
        ),
        { name: 'TypeError', message: /timeoutMs must be a positive number/ },
      );
    } finally {
      await importer.close();
    }
  });
});

describe('QueueImporter against a full Redis', () => {
  it('throws 503 not_ready as the API answers, and queues once there is room', async () => {
    const server = await RedisServer.start();
    const admin = new Redis(server.url);
    const importer = new QueueImporter({ redisUrl: server.url });
    const imports = openQueue('imports', admin);
    const payload = {
      v: 1 as const,
      siteId: 1,
      source: { url: 'http://127.0.0.1:1/a.wav' },
    };
    try {
      const info = await admin.info('memory');
      const used = Number(/^used_memory:(\d+)/m.exec(info)![1]);
      // Below what is used: every write is refused.
      await admin.config('SET', 'maxmemory', String(Math.floor(used / 2)));
      const error = await importer
        .enqueueImport(payload)
        .catch((err: unknown) => err);
      await admin.config('SET', 'maxmemory', '0');

      assert.ok(error instanceof IngestApiError, String(error));
      assert.equal(error.code, 'not_ready');
      assert.equal(error.status, 503);
      assert.equal(error.endpoint, 'queue:imports');
      assert.equal(
        error.message,
        'the service is out of room for new work; retry later',
      );
      // Redis's own answer stays at hand for the producer's logs.
      assert.match(String((error.cause as Error).message), /^OOM command/);
      assert.equal((await imports.getJobCounts('waiting')).waiting, 0);

      const id = await importer.enqueueImport(payload);
      assert.equal(await imports.getJobState(id), 'waiting');
    } finally {
      await importer.close();
      await imports.close();
      admin.disconnect();
      await server.close();
    }
  });
});

describe('QueueImporter when the link to Redis fails mid-call', () => {
  const payload = {
    v: 1 as const,
    siteId: 1,
    source: { url: 'http://127.0.0.1:1/a.wav' },
  };

  /** A Redis reached through a relay the test can break, no gateway. */
  async function relayed(run: (parts: {
    relay: Awaited<ReturnType<typeof tcpRelay>>;
    importer: QueueImporter;
    imports: ReturnType<typeof openQueue<'imports'>>;
  }) => Promise<void>) {
    const server = await RedisServer.start();
    const relay = await tcpRelay(Number(new URL(server.url).port));
    const admin = new Redis(server.url);
    const imports = openQueue('imports', admin);
    const importer = new QueueImporter({
      redisUrl: `redis://127.0.0.1:${relay.port}`,
    });
    try {
      await run({ relay, importer, imports });
    } finally {
      await importer.close();
      await imports.close();
      admin.disconnect();
      await relay.close();
      await server.close();
    }
  }

  it('queues an add once when its answer was lost', { timeout: 60_000 }, () =>
    relayed(async ({ relay, importer, imports }) => {
      await importer.enqueueImport(payload, { importId: 'first' });

      // The add reaches Redis; its answer does not come back, and the
      // connection breaks: ioredis sends the add again once reconnected.
      relay.mode = 'mute';
      const adding = importer.enqueueImport(payload);
      await waitUntil(
        async () => (await imports.getJobCounts('waiting')).waiting === 2,
      );
      relay.mode = 'pass';
      relay.cut();
      const id = await adding;

      assert.equal((await imports.getJobCounts('waiting')).waiting, 2);
      assert.equal(await imports.getJobState(id), 'waiting');
      assert.match(id, /^imp-[0-9a-f-]{36}$/);
    }),
  );

  it('ends waitForImport at its timeout or signal while Redis is silent', {
    timeout: 60_000,
  }, () =>
    relayed(async ({ relay, importer }) => {
      const id = await importer.enqueueImport(payload);
      relay.mode = 'hang';

      const late = await importer
        .waitForImport(id, { timeoutMs: 200, intervalMs: 50 })
        .catch((err: unknown) => err);
      assert.ok(late instanceof ImportTimeoutError, String(late));
      assert.equal(late.state, 'unread');
      assert.match(late.message, /within 200 ms \(Redis did not answer\)/);

      const controller = new AbortController();
      const waiting = importer.waitForImport(id, {
        signal: controller.signal,
      });
      controller.abort();
      await assert.rejects(waiting, { name: 'AbortError' });
    }),
  );

  it('ends an add Redis never confirms at its timeout; the same id again is safe', {
    timeout: 60_000,
  }, () =>
    relayed(async ({ relay, importer, imports }) => {
      await importer.enqueueImport(payload, { importId: 'warm' });
      relay.mode = 'hang';
      const lost = await importer
        .enqueueImport(payload, { timeoutMs: 300 })
        .catch((err: unknown) => err);
      assert.ok(lost instanceof ImportUnconfirmedError, String(lost));
      assert.match(lost.importId, /^imp-/);
      assert.match(lost.message, /within 300 ms: it may be queued or not/);

      // Redis answers again; the add the relay swallowed never arrived.
      relay.mode = 'pass';
      relay.cut();
      const again = await importer.enqueueImport(payload, {
        importId: lost.importId,
      });
      assert.equal(again, lost.importId);
      assert.equal(await imports.getJobState(again), 'waiting');
      assert.equal((await imports.getJobCounts('waiting')).waiting, 2);
    }),
  );

  it('refuses an add time limit that is not a positive number', () =>
    relayed(async ({ importer }) => {
      await assert.rejects(
        importer.enqueueImport(payload, { timeoutMs: 0 }),
        /timeoutMs must be a positive number of ms/,
      );
    }),
  );
});

describe('QueueImporter.waitForImport limits', () => {
  const payload = {
    v: 1 as const,
    siteId: 1,
    source: { url: 'http://127.0.0.1:1/a.wav' },
  };
  const answer = { upload_id: 7, track_id: null, formats: ['mp3'] };

  it('waits through a silent Redis when timeoutMs is more than a timer holds', {
    timeout: 60_000,
  }, async () => {
    const server = await RedisServer.start();
    const relay = await tcpRelay(Number(new URL(server.url).port));
    const blocking = createRedis(server.url, 'worker');
    const importer = new QueueImporter({
      redisUrl: `redis://127.0.0.1:${relay.port}`,
    });
    const logger = { error() {}, warn() {}, info() {}, debug() {} };
    const worker = openWorker('imports', blocking, async () => answer, {
      logger,
      concurrency: 1,
    });
    try {
      const id = await importer.enqueueImport(payload);
      // The first look cannot be answered until ioredis reconnects (at
      // least 200 ms after the cut): a timer given Infinity fires in 1 ms.
      relay.mode = 'hang';
      const waiting = importer.waitForImport(id, {
        timeoutMs: Number.POSITIVE_INFINITY,
        intervalMs: 50,
      });
      relay.mode = 'pass';
      relay.cut();
      void worker.run();
      assert.deepEqual(await waiting, answer);

      // Nor may a pause of 0 poll Redis without a break.
      await assert.rejects(
        importer.waitForImport(id, { intervalMs: 0 }),
        /intervalMs must be a positive number of ms, got: 0/,
      );
    } finally {
      await worker.close();
      await importer.close();
      blocking.disconnect();
      await relay.close();
      await server.close();
    }
  });
});
