/**
 * End to end: imports added by a plain BullMQ client, with no job options
 * (`queue.add('import', payload)`, as docs/inbound-queue.md invites), are
 * retried and kept by the gateway's policy just as the SDK's are.
 */
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import {
  makeTone,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';

let fixture: FixtureStack;
let stack: TestStack;
let site: TestSite;
let queue: Queue;

before(async () => {
  fixture = await startFixtureStack();
  ({ stack, site } = fixture);
  // What any BullMQ client does: no defaultJobOptions at all.
  queue = new Queue('imports', { connection: stack.redis, prefix: '{ingest}' });
});

after(async () => {
  await queue?.close();
  await fixture?.close();
});

const DAY_MS = 86_400_000;

/** Where a producer puts a file for a `storageKey` source. */
const inboundPath = (key: string) =>
  path.join(stack.dataDir, 'storage', ...key.split('/'));

/** Adds a storage import as a plain client would, with no options. */
async function addPlain(key: string, extra: Record<string, unknown> = {}) {
  const job = await queue.add('import', {
    v: 1,
    siteId: site.id,
    source: { storageKey: key, filename: path.basename(key) },
    ...extra,
  });
  return job.id!;
}

/** Waits until the job is in one of `states`; answers that state. */
function stateOf(id: string, states: string[]) {
  return waitUntil(
    async () => {
      const state = await queue.getJobState(id);
      return states.includes(state) && state;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: `job ${id} in ${states}` },
  );
}

/** Makes a finished job look `days` old to the queue's age trimming. */
async function age(id: string, set: 'completed' | 'failed', days: number) {
  const key = `{ingest}:imports:${set}`;
  const changed = await stack.redis.zadd(
    key,
    'XX',
    'CH',
    Date.now() - days * DAY_MS,
    id,
  );
  assert.equal(changed, 1, `job ${id} is ${set}`);
}

/** A storage import of a new tone, added plainly and answered. */
async function importTone(name: string, frequency: number) {
  const key = `inbound/plain/${name}`;
  await makeTone(inboundPath(key), { seconds: 2, frequency });
  const id = await addPlain(key);
  assert.equal(await stateOf(id, ['completed', 'failed']), 'completed');
  return id;
}

describe('an import added by a plain BullMQ client', () => {
  test('is retried after a failure that is not a refusal', async () => {
    // A folder where the file should be: reading it fails (EISDIR), an
    // internal error, as a storage fault would be.
    const key = 'inbound/plain/late.wav';
    await mkdir(inboundPath(key), { recursive: true });
    const answered = await addPlain(key);

    assert.equal(await stateOf(answered, ['delayed', 'failed']), 'delayed');
    const retrying = await queue.getJob(answered);
    assert.equal(retrying?.attemptsMade, 1);
    // Stored as sent: no retries asked for by the producer.
    assert.ok((retrying?.opts.attempts ?? 0) <= 1, 'no attempts set');

    await rm(inboundPath(key), { recursive: true });
    await makeTone(inboundPath(key), { seconds: 2, frequency: 520 });
    assert.equal(await stateOf(answered, ['completed', 'failed']), 'completed');
    const done = await queue.getJob(answered);
    assert.equal(done?.returnvalue.status, 'uploaded');
    assert.equal(done?.returnvalue.meta.Filename, 'late.wav');
  });

  test('is kept a day once answered, a week once refused', async () => {
    const answered = await importTone('first.wav', 620);
    const refuse = () => addPlain('inbound/plain/none.wav', { v: 2 });
    const oldRefusal = await refuse();
    const recentRefusal = await refuse();
    for (const id of [oldRefusal, recentRefusal]) {
      assert.equal(await stateOf(id, ['completed', 'failed']), 'failed');
    }

    await age(answered, 'completed', 2);
    await age(oldRefusal, 'failed', 8);
    await age(recentRefusal, 'failed', 2);

    // Trimming happens as later jobs finish.
    const next = await importTone('next.wav', 740);
    const lastRefusal = await refuse();
    assert.equal(await stateOf(lastRefusal, ['completed', 'failed']), 'failed');

    const states = await Promise.all(
      [answered, oldRefusal, recentRefusal, next].map((id) =>
        queue.getJobState(id),
      ),
    );
    // Answered 2 days ago and refused 8 days ago: gone; the others kept.
    assert.deepEqual(states, ['unknown', 'unknown', 'failed', 'completed']);
  });
});
