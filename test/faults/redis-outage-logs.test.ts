/**
 * Faults: Redis is killed for 5 s while all three services run. Each
 * service tells the outage in one warning and one line when Redis is
 * back; its workers' reconnect errors stay out of the error level.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestStack } from '@ingest/testkit';
import { allReady, collectLines, sleep, waitUntil } from './fault-kit';

const OUTAGE_MS = 5_000;

let stack: TestStack;

before(async () => {
  stack = await TestStack.start({ env: { LOG_LEVEL: 'info' } });
});

after(async () => {
  await stack?.close();
});

test('a Redis outage is one warning per service, no error lines', async () => {
  const lines = collectLines(stack.services);

  await stack.redisServer.stop('SIGKILL');
  await sleep(OUTAGE_MS);
  await stack.redisServer.resume();
  await waitUntil('every service ready again', () => allReady(stack), 20_000, 200);
  // Workers reconnect on their own schedule; late lines show up here.
  await sleep(2_000);

  const errors = lines.filter((line) => line.level >= 50);
  const summary = errors.slice(0, 3).map((line) => JSON.stringify(line));
  assert.equal(errors.length, 0, `error lines:\n${summary.join('\n')}`);
  for (const service of ['gateway', 'transcoder', 'notifier']) {
    const own = lines.filter((line) => line.service === service);
    const count = (msg: string) => own.filter((l) => l.msg === msg).length;
    assert.equal(count('redis connection lost'), 1, `${service} lost`);
    assert.equal(count('redis connection back'), 1, `${service} back`);
    const warnings = own.filter((line) => line.level === 40);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
  }
  console.log(
    `# observed: ${lines.length} lines from 3 services for a ` +
      `${OUTAGE_MS / 1000} s outage (SIGKILL), none at error level`,
  );
});
