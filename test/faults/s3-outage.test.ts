/**
 * Faults: the S3 store goes away for longer than an upload's retries
 * would last (3 attempts, 5 s and 10 s apart) while its job runs. The
 * transcoder puts its runs back without counting attempts and takes no
 * jobs until the store answers; once it is back every upload is
 * published (SPEC §3, "Nothing lost"). Imports from the queue wait the
 * same way in the gateway.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { QueueImporter } from '@ingest/client-queue';
import {
  makeTone,
  s3TestServer,
  startFixtureStack,
  type FixtureStack,
  type S3TestServer,
} from '@ingest/testkit';
import { queueCounts, sleep, totalIn, waitUntil } from './fault-kit';

/** Past the retry budget of an upload (5 s + 10 s between 3 tries). */
const OUTAGE_MS = 25_000;

let s3: S3TestServer;
let fixture: FixtureStack;
let importer: QueueImporter;

before(async () => {
  s3 = await s3TestServer();
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      for (const name of ['a', 'b', 'c']) {
        await makeTone(path.join(dir, `${name}.wav`), {
          seconds: 2,
          frequency: 300 + name.charCodeAt(0),
        });
      }
    },
    env: { ...s3.env, LOG_LEVEL: 'warn' },
  });
  importer = new QueueImporter({ redisUrl: fixture.stack.redisServer.url });
});

after(async () => {
  await importer?.close();
  await fixture?.close();
  await s3?.close();
});

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  fixture.stack.call(`/api/import/${endpoint}`, fixture.site.token, params);

const service = (name: string) =>
  fixture.stack.services.find((s) => s.name === name)!;
const transcoder = () => service('transcoder');

async function transcoderReadyz() {
  const res = await fetch(`http://127.0.0.1:${transcoder().port}/readyz`);
  return { status: res.status, body: (await res.json()) as any };
}

test('S3 down past the retry budget: every upload is published once it is back', async () => {
  const ids: number[] = [];
  for (const name of ['a', 'b', 'c']) {
    const res = await call('upload', { url: `${fixture.files.url}/${name}.wav` });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    ids.push(res.body.upload_id);
  }

  await s3.stop();
  const published = await call('publish');
  assert.equal(published.status, 200, JSON.stringify(published.body));
  const jobId = published.body.job_id;

  await sleep(OUTAGE_MS);
  const during = await transcoderReadyz();
  assert.equal(during.status, 503);
  assert.match(during.body.reason, /^storage unreachable: /);
  const { body: listed } = await call('list', { job_id: jobId });
  const states = listed.tracks.map((t: any) => t.status);
  assert.equal(states.length, 3, JSON.stringify(listed));
  assert.ok(
    states.every((s: string) => s !== 'error' && s !== 'published'),
    `no upload errored or published while the store was away: ${states}`,
  );
  const logs = transcoder().logs;
  assert.match(logs, /storage unavailable; no jobs taken until it answers/);
  assert.match(logs, /transcode put back: storage unavailable/);

  await s3.start();
  const done = await fixture.stack.waitForJob(
    fixture.site.token,
    jobId,
    180_000,
  );
  assert.deepEqual([done.q, done.i, done.d, done.e], [0, 0, 3, 0]);
  for (const id of ids) {
    const upload = await fixture.stack.store.uploadById(id);
    assert.equal(upload?.status, 'published', `upload ${id}`);
  }
  assert.match(transcoder().logs, /storage answers again; jobs taken again/);
  await waitUntil('transcoder ready', async () =>
    (await transcoderReadyz()).status === 200,
  );

  // The job shows complete while its last run, and the index and
  // completion jobs the run then adds, may still be active.
  const counts = await waitUntil('no job active', async () => {
    const now = await queueCounts(fixture.stack.redis);
    return totalIn(now, 'active') === 0 && now;
  });
  assert.equal(totalIn(counts, 'failed'), 0, JSON.stringify(counts));
});

test('S3 down past the retry budget: queued imports are accepted once it is back', async () => {
  const { body: created } = await call('createJob', { name: 'queued in outage' });
  await s3.stop();
  const ids: string[] = [];
  for (const name of ['a', 'b']) {
    ids.push(
      await importer.enqueueImport({
        v: 1,
        siteId: fixture.site.id,
        source: { url: `${fixture.files.url}/${name}.wav` },
        jobId: created.job_id,
      }),
    );
  }

  await sleep(OUTAGE_MS);
  const counts = await queueCounts(fixture.stack.redis);
  assert.equal(totalIn(counts, 'failed'), 0, JSON.stringify(counts));
  assert.match(service('gateway').logs, /imports put back: storage unavailable/);

  await s3.start();
  for (const id of ids) {
    const answer = await importer.waitForImport(id, { timeoutMs: 120_000 });
    assert.equal(typeof answer.upload_id, 'number', JSON.stringify(answer));
  }
  assert.match(service('gateway').logs, /storage answers again; jobs taken again/);
});
