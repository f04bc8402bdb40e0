/**
 * A site's webhook slots are counted across notifiers: two notifiers
 * do not give a stuck site twice the POSTs at once, and the slots of a
 * notifier that died holding them come back.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { jobIds, openQueue, type TypedQueue } from '@ingest/queue';
import { listenOnLoopback } from '@ingest/testkit';
import { startNotifier, type RunningNotifier } from './notifier';
import { SiteLeases } from './site-leases';
import { WEBHOOK_SLOTS_SITE_MOST } from './site-slots';
import {
  completedJob,
  memoryLogger,
  notifierGround,
  notifierSettings,
  waitFor,
  type NotifierGround,
} from './test-support';

let ground: NotifierGround;
let webhooks: TypedQueue<'webhook'>;
const notifiers: RunningNotifier[] = [];

before(async () => {
  ground = await notifierGround('leases');
  webhooks = openQueue('webhook', ground.redis, { scheduleMs: [60_000] });
});

after(async () => {
  for (const notifier of notifiers) await notifier.close();
  await webhooks?.close();
  await ground?.close();
});

test('a lease a dead notifier held lapses; a given-back one frees at once', async () => {
  const dead = new SiteLeases(ground.redis, 2, 1_000);
  const alive = new SiteLeases(ground.redis, 2, 60_000);
  assert.ok(await dead.take(7));
  assert.ok(await dead.take(7));
  assert.equal(await alive.take(7), undefined, 'both slots are held');
  // The dead one never gives its leases back: they lapse.
  const lease = await waitFor(() => alive.take(7), 10_000);
  await waitFor(() => alive.take(7), 10_000);
  assert.equal(await alive.take(7), undefined, 'both slots are held again');
  await alive.release(7, lease);
  assert.ok(await alive.take(7), 'a lease given back frees its slot');
});

test('two notifiers hold no more of a stuck site\'s slots than one', async () => {
  let open = 0;
  let most = 0;
  let posts = 0;
  // Takes every POST and never answers: each waits out its time limit.
  const stuck = await listenOnLoopback(
    http.createServer((req, res) => {
      posts += 1;
      open += 1;
      most = Math.max(most, open);
      res.on('close', () => (open -= 1));
      req.resume();
    }),
  );
  try {
    const settings = notifierSettings(ground.redisServer.url, ground.dataDir, {
      INGEST_WEBHOOK_SCHEDULE: '60s',
      INGEST_WEBHOOK_TIMEOUT: '2s',
      INGEST_SHUTDOWN_TIMEOUT: '2s',
    });
    for (let i = 0; i < 2; i++) {
      const logger = memoryLogger().logger;
      notifiers.push(await startNotifier(loadConfig(settings), { logger }));
    }
    const slow = await completedJob(ground.store, {});
    await ground.store.deliveries.putEvent(slow.job.id, '{"type":"job.completed"}');
    await webhooks.addBulk(
      Array.from({ length: 4 * WEBHOOK_SLOTS_SITE_MOST }, (_, i) => {
        const eventId = `evt_${slow.job.id}_stuck${i}`;
        return {
          name: 'webhook' as const,
          data: { jobId: slow.job.id, eventId, url: `${stuck.url}/h` },
          opts: { jobId: jobIds.webhook(eventId) },
        };
      }),
    );

    // Rounds of POSTs each run out their time limit; however they fall,
    // never more at once than one notifier would give the site.
    await waitFor(() => posts >= 2 * WEBHOOK_SLOTS_SITE_MOST + 1, 60_000);
    assert.ok(most <= WEBHOOK_SLOTS_SITE_MOST, `${most} POSTs at once`);
    assert.equal(most, WEBHOOK_SLOTS_SITE_MOST);
  } finally {
    for (const notifier of notifiers.splice(0)) await notifier.close();
    await stuck.close();
  }
});
