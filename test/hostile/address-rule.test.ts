/**
 * The address rule of SPEC §5 on the real stack, with
 * INGEST_ALLOW_PRIVATE_URLS=0: source URLs and webhook targets that
 * reach this machine are refused on their resolved address, in every
 * spelling, and nothing is sent. Only loopback is aimed at, so a broken
 * rule could never send traffic off this machine; private, link-local,
 * metadata and redirect hops are proven in packages/net (see
 * docs/reliability.md).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  TestStack,
  makeTone,
  webhookReceiver,
  type TestSite,
  type WebhookReceiver,
} from '@ingest/testkit';
import { hostileServer, type HostileServer } from './hostile-server';

let dir: string;
let server: HostileServer;
let receiver: WebhookReceiver;
let webhookRequests = 0;
let stack: TestStack;
let site: TestSite;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-addr-'));
  await makeTone(path.join(dir, 'good.wav'), { seconds: 1 });
  server = await hostileServer(dir);
  stack = await TestStack.start({
    env: {
      INGEST_ALLOW_PRIVATE_URLS: '0',
      INGEST_WEBHOOK_SCHEDULE: '1s,1s',
    },
  });
  site = await stack.createSite();
  receiver = await webhookReceiver(site.secret, () => {
    webhookRequests += 1;
    return 204;
  });
});

after(async () => {
  await stack?.close();
  await server?.close();
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

test('source URLs that reach this machine are refused in every spelling', async () => {
  const port = new URL(server.url).port;
  const hosts = [
    '127.0.0.1',
    'localhost', // resolved by /etc/hosts
    'vm', // a plain name that /etc/hosts points at 127.0.0.1
    '[::1]',
    '2130706433', // decimal 127.0.0.1
    '0x7f000001', // hex
    '0177.0.0.1', // octal first part
    '127.1',
    '[::ffff:127.0.0.1]', // IPv4-mapped IPv6
    '[::ffff:7f00:1]',
    '0.0.0.0',
  ];
  for (const host of hosts) {
    const answer = await call('upload', {
      url: `http://${host}:${port}/good.wav`,
    });
    const shown = `${host}: ${JSON.stringify(answer.body)}`;
    assert.equal(answer.status, 422, shown);
    assert.equal(answer.body.code, 'url_not_allowed', shown);
    assert.match(answer.body.error, /is (loopback|unspecified)/, shown);
  }
  assert.equal([...server.hits.values()].reduce((a, b) => a + b, 0), 0);
});

test('a webhook to loopback is refused and logged, never sent', async () => {
  // The job's own upload comes as a file: the rule is about URLs.
  const form = new FormData();
  form.set(
    'file',
    new Blob([await readFile(path.join(dir, 'good.wav'))]),
    'good.wav',
  );
  const res = await fetch(
    `${stack.gatewayUrl}/api/import/upload?token=${site.token}`,
    { method: 'POST', body: form },
  );
  assert.equal(res.status, 200, await res.clone().text());

  const hook = receiver.url.replace('127.0.0.1', 'localhost') + '/hook';
  const published = await call('publish', { oncomplete: hook });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  const jobId = published.body.job_id;
  const done = await stack.waitForJob(site.token, jobId);
  assert.deepEqual([done.d, done.e], [1, 0]);

  // The first attempt is refused and, an address being no passing
  // fault, no retry follows (the schedule here is 1s,1s).
  const deadline = Date.now() + 60_000;
  let deliveries: any[] = [];
  while (deliveries.length < 1 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    deliveries = (await call('checkJob', { job_id: jobId })).body.deliveries;
  }
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  deliveries = (await call('checkJob', { job_id: jobId })).body.deliveries;
  assert.equal(deliveries.length, 1, JSON.stringify(deliveries));
  for (const attempt of deliveries) {
    assert.equal(attempt.ok, false, JSON.stringify(attempt));
    assert.equal(attempt.error, 'address_not_allowed', JSON.stringify(attempt));
  }
  assert.equal(webhookRequests, 0, 'the receiver was never called');

  const health = await fetch(`${stack.gatewayUrl}/healthz`);
  assert.equal(health.status, 200);
});

test('a webhook to a loopback IP address is refused at the API', async () => {
  const hook = `${receiver.url}/hook`; // http://127.0.0.1:<port>
  for (const [endpoint, params] of [
    ['publish', { oncomplete: hook }],
    ['upload', { url: `${server.url}/good.wav`, oncomplete: hook }],
  ] as const) {
    const answer = await call(endpoint, params);
    const shown = `${endpoint}: ${JSON.stringify(answer.body)}`;
    assert.equal(answer.status, 422, shown);
    assert.equal(answer.body.code, 'url_not_allowed', shown);
    assert.match(answer.body.error, /oncomplete URL refused: .* is loopback/, shown);
  }
  assert.equal(webhookRequests, 0, 'the receiver was never called');
});
