/**
 * The queue dashboard (bull-board) on the gateway: its token rules over
 * HTTP, then the page itself in headless Chromium once jobs exist (one
 * completed transcode, one webhook delivery that failed for good).
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { QUEUES } from '@ingest/queue';
import {
  chromiumMissing,
  launchChromium,
  makeTone,
  startFixtureStack,
  webhookReceiver,
  type FixtureStack,
  type LoopbackServer,
  type ServiceProcess,
  type TestSite,
  type TestStack,
  type WebhookReceiver,
} from '@ingest/testkit';

const ADMIN_TOKEN = 'admin-token-for-the-dashboard-test';
const QUEUE_NAMES: string[] = Object.values(QUEUES).sort();

let fixture: FixtureStack;
let files: LoopbackServer;
let stack: TestStack;
let plain: ServiceProcess;
let site: TestSite;
let receiver: WebhookReceiver;
let board: string;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) =>
      makeTone(path.join(dir, 'tone.wav'), {
        seconds: 2,
        tags: { title: 'Dashboard Tone' },
      }),
    env: {
      INGEST_ADMIN_TOKEN: ADMIN_TOKEN,
      // One quick retry, then the delivery fails for good.
      INGEST_WEBHOOK_SCHEDULE: '200ms',
    },
  });
  ({ files, stack, site } = fixture);
  // The same gateway without a token: no dashboard at all.
  plain = await stack.startService('gateway', undefined, {
    INGEST_ADMIN_TOKEN: '',
  });
  receiver = await webhookReceiver(site.secret, () => 500);
  board = `${stack.gatewayUrl}/admin/queues`;
});

after(async () => {
  await receiver?.close();
  await fixture?.close();
});

test('jobs exist: a completed transcode and a failed webhook', async () => {
  const upload = await stack.call('/api/import/upload', site.token, {
    url: `${files.url}/tone.wav`,
  });
  assert.equal(upload.status, 200, JSON.stringify(upload.body));
  const published = await stack.call('/api/import/publish', site.token, {
    oncomplete: receiver.url,
  });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  await stack.waitForJob(site.token, published.body.job_id);

  // The receiver answers 500: after its one retry the delivery fails.
  const deadline = Date.now() + 90_000;
  let failed = 0;
  while (Date.now() < deadline && failed === 0) {
    const res = await fetch(`${board}/api/queues`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const body = (await res.json()) as { queues: any[] };
    failed = body.queues.find((q) => q.name === 'webhook')?.counts.failed ?? 0;
    if (failed === 0) await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(failed, 1, stack.logs);
});

test('without the token nothing is shown', async () => {
  for (const url of [board, `${board}/api/queues`]) {
    const none = await fetch(url, { redirect: 'manual' });
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as any).code, 'unauthorized');

    const wrong = await fetch(url, {
      headers: { authorization: 'Bearer admin-token-but-not-the-right-one' },
    });
    assert.equal(wrong.status, 401);
  }
  const wrongQuery = await fetch(`${board}?token=nope`, { redirect: 'manual' });
  assert.equal(wrongQuery.status, 401);
  assert.equal(wrongQuery.headers.get('set-cookie'), null);

  // A site's API token is no admin token.
  const siteToken = await fetch(board, {
    headers: { authorization: `Bearer ${site.token}` },
  });
  assert.equal(siteToken.status, 401);
});

test('with no admin token set, the dashboard does not exist', async () => {
  const base = `http://127.0.0.1:${plain.port}/admin/queues`;
  for (const url of [
    base,
    `${base}?token=${ADMIN_TOKEN}`,
    `${base}/api/queues`,
  ]) {
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(res.status, 404, url);
  }
});

test('the bearer token opens the API; every queue is listed', async () => {
  const res = await fetch(`${board}/api/queues`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { queues: any[] };
  assert.deepEqual(body.queues.map((q) => q.name).sort(), QUEUE_NAMES);
  const transcode = body.queues.find((q) => q.name === 'transcode');
  assert.equal(transcode.counts.completed, 1);
  assert.equal(transcode.readOnlyMode, true);
});

test('a token in the query becomes a cookie and leaves the URL', async () => {
  const page = `${board}/queue/webhook?status=failed`;
  const res = await fetch(`${page}&token=${ADMIN_TOKEN}`, {
    redirect: 'manual',
  });
  assert.equal(res.status, 303);
  assert.equal(
    res.headers.get('location'),
    '/admin/queues/queue/webhook?status=failed',
  );
  const cookie = res.headers.get('set-cookie') ?? '';
  assert.match(
    cookie,
    /^ingest_admin=[\w-]+; Path=\/admin\/queues; HttpOnly; SameSite=Strict$/,
  );
  assert.ok(!cookie.includes(ADMIN_TOKEN), 'the cookie is not the token');

  const shown = await fetch(page, {
    headers: { cookie: cookie.split(';')[0] },
  });
  assert.equal(shown.status, 200);
  assert.match(await shown.text(), /<div id="root">/);
});

test(
  'the page shows the queues and their jobs in Chromium',
  { skip: chromiumMissing() },
  async () => {
    const { page, close } = await launchChromium({
      viewport: { width: 1280, height: 720 },
    });
    try {
      await page.goto(`${board}?token=${ADMIN_TOKEN}`);
      assert.equal(new URL(page.url()).search, '', 'token left the URL');
      for (const name of QUEUE_NAMES) {
        await page.getByText(name, { exact: true }).first().waitFor();
      }

      await page.goto(`${board}/queue/transcode?status=completed`);
      await page.getByText('"published"').first().waitFor();
      const completed = await page.locator('body').innerText();
      assert.match(completed, /\bu1\b/, 'the transcode job of upload 1');

      await page.goto(`${board}/queue/webhook?status=failed`);
      await page.getByText(/w-evt_/).first().waitFor();
      await page.getByText('Error', { exact: true }).first().click();
      await page.getByText('webhook answered 500').first().waitFor();
      // Kept after the run (one file, overwritten): docs/images has a copy.
      const shot = path.join(os.tmpdir(), 'ingest-queue-dashboard.png');
      await page.screenshot({ path: shot });
      assert.ok((await stat(shot)).size > 10_000);
      console.log(`# screenshot: ${shot}`);
    } finally {
      await close();
    }
  },
);
