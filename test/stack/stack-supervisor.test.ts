import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from '@ingest/testkit';
import {
  RestartBackoff,
  Supervisor,
  type ProcessExit,
  type Supervised,
} from '../../scripts/stack-supervisor';

test('restarts wait 1 s, doubling to 30 s; a 60 s run starts over', () => {
  const backoff = new RestartBackoff();
  const quick = [0, 0, 0, 0, 0, 0, 0].map(() => backoff.delayAfter(500));
  assert.deepEqual(quick, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  assert.equal(backoff.delayAfter(60_000), 1_000);
  assert.equal(backoff.delayAfter(59_000), 2_000);
});

/** A stand-in process whose end the test decides. */
function fakeProcess(pid: number): Supervised & { end(exit: ProcessExit): void } {
  let end!: (exit: ProcessExit) => void;
  const exited = new Promise<ProcessExit>((resolve) => (end = resolve));
  return { pid, exited, end };
}

test('a process that ends is launched again, with a line saying so', async () => {
  const said: string[] = [];
  const supervisor = new Supervisor((line) => said.push(line), { firstMs: 20 });
  const first = fakeProcess(1);
  const launched: ReturnType<typeof fakeProcess>[] = [];
  supervisor.keep('transcoder', first, async () => {
    launched.push(fakeProcess(2 + launched.length));
    return launched.at(-1)!;
  });

  first.end({ code: null, signal: 'SIGKILL' });
  await waitUntil(() => launched.length === 1);
  launched[0].end({ code: 0, signal: null });
  await waitUntil(() => launched.length === 2);
  await supervisor.stop();
  launched[1].end({ code: 0, signal: null });
  await new Promise((resolve) => setTimeout(resolve, 100));

  assert.equal(launched.length, 2, 'nothing launched after stop');
  assert.deepEqual(said, [
    'transcoder exited (signal SIGKILL); restarting in 0.02 s',
    'transcoder restarted (pid 2)',
    'transcoder exited (code 0); restarting in 0.04 s',
    'transcoder restarted (pid 3)',
  ]);
});

test('stop during the wait launches nothing; a failed launch waits longer', async () => {
  const said: string[] = [];
  const supervisor = new Supervisor((line) => said.push(line), { firstMs: 200 });
  const first = fakeProcess(1);
  let launches = 0;
  supervisor.keep('redis-server', first, async () => {
    launches += 1;
    throw new Error('port taken');
  });

  first.end({ code: 1, signal: null });
  await waitUntil(() => said.length === 2, { intervalMs: 5 });
  await supervisor.stop();
  await new Promise((resolve) => setTimeout(resolve, 600));

  assert.equal(launches, 1);
  assert.deepEqual(said, [
    'redis-server exited (code 1); restarting in 0.2 s',
    'redis-server could not start (port taken); restarting in 0.4 s',
  ]);
});
