/**
 * Faults: Redis stops answering (SIGSTOP: its connections stay open, as
 * on a hung host or network) for 12 s while all three services run.
 * Nothing breaks, so nothing was logged; only /readyz told. Each service
 * now says so once, when a PING has gone unanswered for 5 s, and once
 * when Redis answers again, and prints nothing else at warning or above.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestStack } from '@ingest/testkit';
import { allReady, collectLines, sleep, waitUntil } from './fault-kit';

const STALL_MS = 12_000;

let stack: TestStack;
let stopped: number | undefined;

before(async () => {
  stack = await TestStack.start({ env: { LOG_LEVEL: 'info' } });
});

after(async () => {
  if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
  await stack?.close();
});

test('a stalled Redis is one warning and one line back per service', async () => {
  const lines = collectLines(stack.services);

  stopped = stack.redisServer.pid!;
  process.kill(stopped, 'SIGSTOP');
  await sleep(STALL_MS);
  const during = lines.length;
  process.kill(stopped, 'SIGCONT');
  stopped = undefined;
  await waitUntil('every service ready again', () => allReady(stack), 20_000, 200);
  await sleep(2_000);

  const shown = lines.map((line) => JSON.stringify(line)).join('\n');
  const errors = lines.filter((line) => line.level >= 50);
  assert.equal(errors.length, 0, `error lines:\n${shown}`);
  for (const service of ['gateway', 'transcoder', 'notifier']) {
    const own = lines.filter((line) => line.service === service);
    const said = (msg: string) => own.filter((l) => l.msg === msg);
    const quiet = said('redis not answering');
    assert.equal(quiet.length, 1, `${service} not answering:\n${shown}`);
    assert.equal(quiet[0].level, 40);
    assert.equal(quiet[0].waitedMs, 5_000);
    const back = said('redis answering again');
    assert.equal(back.length, 1, `${service} answering again:\n${shown}`);
    assert.ok((back[0].stalledMs as number) >= 5_000, JSON.stringify(back[0]));
    const warnings = own.filter((line) => line.level === 40);
    assert.equal(warnings.length, 1, `${service} warnings:\n${shown}`);
  }
  console.log(
    `# observed: ${during} lines during a ${STALL_MS / 1000} s stall ` +
      `(SIGSTOP), ${lines.length} in all`,
  );
});
