/**
 * End to end: an idle autopublish timer and a delete of the job's last
 * autopublish upload at the same moment. The timer looks for an
 * autopublish upload, then publishes; the delete lands between the two.
 * README (Autopublish): a job with no autopublish upload left never
 * publishes by itself. The timer runs here as a gateway's worker runs it,
 * over a connection of its own; Redis holds every write (`holdWrites`)
 * so both calls have read before either writes, and the delete's drop
 * goes before the timer's publish. The stack has no transcoder.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRedis, openQueue } from '@ingest/queue';
import { StateStore, UpdateStore } from '@ingest/state';
import { createLogger } from '@ingest/telemetry';
import {
  holdWrites,
  makeDistinctTones,
  startFixtureStack,
  type FixtureStack,
} from '@ingest/testkit';
import { Autopublisher } from '@ingest/gateway/src/jobs/autopublisher';
import { Publisher } from '@ingest/gateway/src/jobs/publisher';

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 4),
    transcoders: 0,
    // The gateways' own timers stay asleep; the test runs this one.
    env: { INGEST_AUTOPUBLISH_IDLE: '10m' },
  });
});

after(() => fixture?.close());

const call = (endpoint: string, params: Record<string, unknown>) =>
  fixture.stack.call(`/api/import/${endpoint}`, fixture.site.token, params);

async function upload(jobId: number, tone: number, autopublish: boolean) {
  const res = await call('upload', {
    job_id: jobId,
    url: `${fixture.files.url}/tone-${tone}.wav`,
    ...(autopublish ? { autopublish: 1 } : {}),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.upload_id as number;
}

/**
 * An autopublisher as a gateway's, over a connection of its own; its
 * queues' connections are made before a test holds writes.
 */
function ownAutopublisher() {
  const own = createRedis(fixture.stack.redisServer.url);
  const store = new StateStore(own);
  const transcode = openQueue('transcode', own);
  const checks = openQueue('autopublish', own);
  const timer = new Autopublisher({
    store,
    publisher: new Publisher(store, transcode, new UpdateStore(own), checks),
    queue: checks,
    idleMs: 600_000,
    maxUploads: 1000,
    logger: createLogger('gateway', 'silent'),
  });
  const close = async () => {
    await transcode.close();
    await checks.close();
    own.disconnect();
  };
  return { timer, checks, close };
}

test('a delete of the last autopublish upload beats the idle publish', async () => {
  const created = await call('createJob', { name: 'raced' });
  const jobId = created.body.job_id as number;
  // A plain upload stays: without the autopublish one, the job is not
  // empty, so only the autopublish rule can keep it open.
  const plain = await upload(jobId, 1, false);
  const auto = await upload(jobId, 2, true);

  const { timer, checks, close } = ownAutopublisher();
  try {
    await checks.getDelayedCount(); // connected before the hold
    const hold = await holdWrites(fixture.stack.redis);
    let ran: Promise<string>;
    let deleted: Promise<{ status: number; body: any }>;
    try {
      // The timer has found the autopublish upload and waits at its
      // first write; the delete has read and waits at its drop.
      ran = timer.publishIfOpen(jobId, 'idle');
      await hold.waitForHeld(1);
      deleted = call('delete', { upload_id: auto });
      await hold.waitForHeld(2);
    } finally {
      await hold.release();
    }

    const [outcome, answer] = await Promise.all([ran, deleted]);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(outcome, 'no_autopublish');
  } finally {
    await close();
  }

  const job = await fixture.stack.store.jobById(jobId);
  assert.equal(job?.state, 'open');
  const left = await fixture.stack.store.uploadById(plain);
  assert.equal(left?.status, 'uploaded');

  // The client's publish is not bound by the autopublish rule.
  const published = await call('publish', { job_id: jobId });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  assert.equal((await fixture.stack.store.uploadById(plain))?.status, 'queued');
});

test("a delete between an autopublish upload's add and its mark leaves no mark", async () => {
  const created = await call('createJob', { name: 'late mark' });
  const jobId = created.body.job_id as number;
  const plain = await upload(jobId, 3, false);
  // Added, not marked yet: the uploading gateway's next step is the
  // mark (Autopublisher.noteUpload), and the delete lands first.
  const auto = await upload(jobId, 4, false);
  const deleted = await call('delete', { upload_id: auto });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));

  const { timer, checks, close } = ownAutopublisher();
  try {
    await timer.noteUpload(jobId, `upload:${auto}`);
    // Nor does it start (or push back) the job's idle timer: another
    // autopublish upload's publish would wait a whole idle time more.
    const timers = (await checks.getDelayed()).filter(
      (j) => j.name === 'autopublish' && j.data.jobId === jobId,
    );
    assert.deepEqual(timers, []);
    // No mark outlives the upload, so the idle timer finds none.
    assert.equal(await timer.publishIfOpen(jobId, 'idle'), 'no_autopublish');
  } finally {
    await close();
  }
  assert.equal((await fixture.stack.store.jobById(jobId))?.state, 'open');
  assert.equal((await fixture.stack.store.uploadById(plain))?.status, 'uploaded');
});
