/**
 * One site whose receiver never answers must not hold up the webhooks
 * of the others: past its share of the notifier's webhook slots, it
 * takes more only while the others' share stays free.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import {
  jobIds,
  openQueue,
  QUEUE_POLICIES,
  type TypedQueue,
} from '@ingest/queue';
import { StateStore } from '@ingest/state';
import { listenOnLoopback, redisForTests } from '@ingest/testkit';
import { startNotifier, type RunningNotifier } from './notifier';
import { WEBHOOK_SLOTS_PER_SITE } from './site-slots';
import { completedJob, memoryLogger, notifierSettings, waitFor } from './test-support';

/** Deliveries of the stuck site: several times the worker's 16 slots. */
const STUCK = 64;
/** What one site may hold while nothing else runs. */
const ALONE =
  (QUEUE_POLICIES.webhook.concurrency as number) - WEBHOOK_SLOTS_PER_SITE;

let store: StateStore;
let webhooks: TypedQueue<'webhook'>;
let notifier: RunningNotifier;
let dataDir: string;

const own = redisForTests({
  role: 'worker',
  closeFirst: async () => {
    await notifier?.close();
    await webhooks?.close();
  },
});

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
  webhooks = openQueue('webhook', own.redis, { scheduleMs: [60_000] });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'notifier-share-'));
  notifier = await startNotifier(
    loadConfig(
      notifierSettings(own.server.url, dataDir, {
        INGEST_PUBLIC_URL: 'http://ingest.test',
        INGEST_WEBHOOK_SCHEDULE: '60s',
        INGEST_WEBHOOK_TIMEOUT: '4s',
        INGEST_SHUTDOWN_TIMEOUT: '2s',
      }),
    ),
    { logger: memoryLogger().logger },
  );
});

after(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test("a stuck site's webhooks do not hold up another site's", async () => {
  // Takes every POST and never answers: each waits out its time limit.
  const stuckPosts: string[] = [];
  const stuck = await listenOnLoopback(
    http.createServer((req) => {
      stuckPosts.push(String(req.headers['webhook-id']));
      req.resume();
    }),
  );
  const healthyPosts: number[] = [];
  const healthy = await listenOnLoopback(
    http.createServer((req, res) => {
      healthyPosts.push(stuckPosts.length);
      req.resume();
      res.end();
    }),
  );
  try {
    // Many completed jobs of one site, all waiting before the other's.
    const slow = await completedJob(store, {});
    await store.deliveries.putEvent(slow.job.id, '{"type":"job.completed"}');
    await webhooks.addBulk(
      Array.from({ length: STUCK }, (_, i) => {
        const eventId = `evt_${slow.job.id}_stuck${i}`;
        return {
          name: 'webhook' as const,
          data: { jobId: slow.job.id, eventId, url: `${stuck.url}/h` },
          opts: { jobId: jobIds.webhook(eventId) },
        };
      }),
    );
    const other = await completedJob(store, { oncomplete: `${healthy.url}/h` });
    await store.deliveries.putEvent(other.job.id, '{"type":"job.completed"}');
    const eventId = `evt_${other.job.id}_ok`;
    await webhooks.add(
      'webhook',
      { jobId: other.job.id, eventId, url: `${healthy.url}/h` },
      { jobId: jobIds.webhook(eventId) },
    );

    await waitFor(() => healthyPosts.length > 0, 30_000);
    // Taken in order, it would have waited for all but the last 16 of
    // the stuck site's POSTs to be sent, each running out its time.
    assert.ok(
      healthyPosts[0] <= ALONE,
      `delivered after ${healthyPosts[0]} stuck POSTs`,
    );
    // The stuck site still has its slots going; the rest wait their
    // turn, no attempt counted.
    await waitFor(() => stuckPosts.length >= ALONE);
    const lastId = jobIds.webhook(`evt_${slow.job.id}_stuck${STUCK - 1}`);
    const last = await webhooks.getJob(lastId);
    assert.equal(last?.attemptsMade, 0);
    const stuckLog = await store.deliveries.list(slow.job.id);
    assert.ok(stuckLog.length <= ALONE, 'put-offs are not logged');
    // The receiver sees the POST before the notifier logs its answer.
    const log = await waitFor(async () => {
      const rows = await store.deliveries.list(other.job.id);
      return rows.length > 0 && rows;
    });
    assert.deepEqual(
      log.map((d) => [d.attempt, d.status, d.ok]),
      [[1, 200, true]],
    );
  } finally {
    await stuck.close();
    await healthy.close();
  }
});
