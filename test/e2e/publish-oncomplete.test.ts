/**
 * End to end: `publish` with `oncomplete` replaces the job's target only
 * when the publish goes ahead (SPEC §1: a call that failed did not do
 * part of its work silently). The stack has no transcoder, so a
 * published job stays publishing while the test looks at it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  makeDistinctTones,
  startFixtureStack,
  type FixtureStack,
} from '@ingest/testkit';

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 1),
    transcoders: 0,
  });
});

after(() => fixture?.close());

const call = (endpoint: string, params: Record<string, unknown>) =>
  fixture.stack.call(`/api/import/${endpoint}`, fixture.site.token, params);

const targetOf = async (jobId: number) =>
  (await fixture.stack.store.jobById(jobId))?.oncomplete;

test('a refused publish leaves oncomplete alone; an accepted one sets it', async () => {
  const created = await call('createJob', { name: 'side' });
  const jobId = created.body.job_id as number;

  const empty = await call('publish', {
    job_id: jobId,
    oncomplete: 'http://127.0.0.1:9/first',
  });
  assert.equal(empty.status, 409);
  assert.equal(empty.body.code, 'job_empty');
  assert.equal(await targetOf(jobId), undefined);

  const uploaded = await call('upload', {
    job_id: jobId,
    url: `${fixture.files.url}/tone-1.wav`,
  });
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));

  const published = await call('publish', {
    job_id: jobId,
    oncomplete: 'http://127.0.0.1:9/second',
  });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  assert.equal(published.body.oncomplete, 'http://127.0.0.1:9/second');
  assert.equal(await targetOf(jobId), 'http://127.0.0.1:9/second');

  // Publishing again while it runs is allowed, and a later value wins.
  const again = await call('publish', {
    job_id: jobId,
    oncomplete: 'ops@example.com',
  });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(await targetOf(jobId), 'ops@example.com');
});
