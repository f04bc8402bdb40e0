/**
 * End to end: a publish is two steps, closing the job (its uploads become
 * `queued`) and handing the uploads to the transcoders. A gateway killed
 * between them (or a Redis error on the second) leaves a `publishing`
 * job with nothing queued for a transcoder. The autopublish timer, run
 * again by BullMQ after the stall or failure, must hand the uploads over
 * rather than take the job as published by someone else, or the job
 * stays `publishing` for ever. The first step is made here with the
 * gateway's own store call, as the killed gateway made it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { handoverCheckOptions, jobIds, openQueue } from '@ingest/queue';
import {
  makeDistinctTones,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 1),
    env: { INGEST_AUTOPUBLISH_IDLE: '10m' },
  });
});

after(() => fixture?.close());

/** A new job holding one upload (sent with `autopublish`, if given). */
async function jobWithOneUpload(name: string, autopublish?: 1) {
  const { stack, site, files } = fixture;
  const created = await stack.call('/api/import/createJob', site.token, {
    name,
  });
  const jobId = created.body.job_id as number;
  const uploaded = await stack.call('/api/import/upload', site.token, {
    job_id: jobId,
    url: `${files.url}/tone-1.wav`,
    ...(autopublish && { autopublish }),
  });
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
  return { jobId, uploadId: uploaded.body.upload_id as number };
}

test('a timer meeting a half-published job hands its uploads over', async () => {
  const { stack, site } = fixture;
  const { jobId, uploadId } = await jobWithOneUpload('half', 1);

  // The killed gateway's first step: closed, queued, handed to no one.
  const closed = await stack.store.publish(jobId);
  assert.deepEqual(closed, { queued: [uploadId], updates: [] });

  const transcode = openQueue('transcode', stack.redis);
  const autopublish = openQueue('autopublish', stack.redis);
  try {
    assert.equal(await transcode.getJob(jobIds.transcode(uploadId)), undefined);
    const [timer] = await autopublish.getDelayed();
    assert.ok(timer, 'the upload set an autopublish timer');
    await runNow(autopublish, timer);

    const check = await stack.call('/api/import/checkJob', site.token, {
      job_id: jobId,
    });
    const handed = await transcode.getJob(jobIds.transcode(uploadId));
    assert.ok(
      handed || check.body.state === 'complete',
      `upload ${uploadId} never reached a transcoder: ` +
        JSON.stringify(check.body),
    );
    const done = await stack.waitForJob(site.token, jobId);
    assert.deepEqual(
      { q: done.q, i: done.i, d: done.d, e: done.e },
      { q: 0, i: 0, d: 1, e: 0 },
    );
  } finally {
    await transcode.close();
    await autopublish.close();
  }
});

/** The delayed hand-over check of `jobId`, once it is there. */
async function handoverCheck(
  queue: ReturnType<typeof openQueue<'autopublish'>>,
  jobId: number,
) {
  const delayed = await queue.getDelayed();
  return delayed.find((j) => j.data.jobId === jobId && j.data.handover);
}

/** Runs a delayed timer or check now; answers the outcome it logged. */
async function runNow(
  queue: ReturnType<typeof openQueue<'autopublish'>>,
  delayed: NonNullable<Awaited<ReturnType<typeof handoverCheck>>>,
): Promise<string> {
  await delayed.promote();
  await waitUntil(async () => (await delayed.getState()) === 'completed', {
    message: `autopublish job ${delayed.id} did not run`,
  });
  const ran = await queue.getJob(delayed.id!);
  return (ran?.returnvalue as { outcome: string }).outcome;
}


test('a publish sets a check; met after the job completed, it does nothing', async () => {
  const { stack, site } = fixture;
  const { jobId } = await jobWithOneUpload('checked');
  const published = await stack.call('/api/import/publish', site.token, {
    job_id: jobId,
  });
  assert.equal(published.status, 200, JSON.stringify(published.body));

  const autopublish = openQueue('autopublish', stack.redis);
  try {
    const check = await handoverCheck(autopublish, jobId);
    assert.ok(check, 'no hand-over check after the publish');
    const done = await stack.waitForJob(site.token, jobId);
    assert.equal(done.d, 1, JSON.stringify(done));

    assert.equal(await runNow(autopublish, check), 'not_publishing');
    const listed = await stack.call('/api/import/list', site.token, {
      job_id: jobId,
    });
    assert.equal(listed.body.tracks.length, 1, JSON.stringify(listed.body));
  } finally {
    await autopublish.close();
  }
});

test('the check completes a job whose publishing gateway died after closing it', async () => {
  const { stack, site } = fixture;
  const { jobId } = await jobWithOneUpload('orphaned');
  const autopublish = openQueue('autopublish', stack.redis);
  try {
    // What the killed gateway did before it died: set the check, then
    // close the job. No client publishes again.
    await autopublish.add(
      'autopublish',
      { jobId, handover: true },
      handoverCheckOptions(jobId),
    );
    await stack.store.publish(jobId);

    const check = await handoverCheck(autopublish, jobId);
    assert.ok(check, 'the check is not waiting');
    assert.equal(await runNow(autopublish, check), 'still_queued');
    const done = await stack.waitForJob(site.token, jobId);
    assert.deepEqual(
      { q: done.q, i: done.i, d: done.d, e: done.e },
      { q: 0, i: 0, d: 1, e: 0 },
    );
  } finally {
    await autopublish.close();
  }
});
