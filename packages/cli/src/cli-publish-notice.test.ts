/**
 * `ingest publish --wait` with an oncomplete tells how the job's notice
 * went: a webhook its receiver refused (401) passed unseen behind an
 * exit 0, and only `ingest status` showed it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeTone, TestStack, webhookReceiver, type WebhookReceiver } from '@ingest/testkit';
import { runIngest } from './testing/run-ingest';

let stack: TestStack;
let dir: string;
let env: Record<string, string>;
let refusing: WebhookReceiver;
let taking: WebhookReceiver;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cli-publish-notice-'));
  await makeTone(path.join(dir, 'one.wav'), { seconds: 1 });
  stack = await TestStack.start();
  const site = await stack.createSite();
  env = { INGEST_URL: stack.gatewayUrl, INGEST_TOKEN: site.token };
  refusing = await webhookReceiver(site.secret, () => 401);
  taking = await webhookReceiver(site.secret);
});

after(async () => {
  await refusing?.close();
  await taking?.close();
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function publishWaiting(receiver: WebhookReceiver) {
  const made = await runIngest(['create-job', '--json'], env);
  assert.equal(made.code, 0, made.stderr);
  const jobId = String(JSON.parse(made.stdout).job_id);
  const sent = await runIngest(['upload', path.join(dir, 'one.wav'), '--job', jobId], env);
  assert.equal(sent.code, 0, sent.stderr);
  return runIngest(
    ['publish', '--job', jobId, '--wait', '--interval', '100', '--oncomplete', receiver.url],
    env,
  );
}

test('a refused webhook is told after the wait', async () => {
  const result = await publishWaiting(refusing);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /webhook failed \(attempt 1, 401\)/);
  assert.match(result.stderr, /tries the notice again; ingest status --job \d+/);
});

test('a delivered webhook is told as delivered', async () => {
  const result = await publishWaiting(taking);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /webhook delivered \(attempt 1, 20\d\)/);
  assert.doesNotMatch(result.stderr, /tries the notice again/);
});
