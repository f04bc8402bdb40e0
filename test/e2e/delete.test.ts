/**
 * End to end: `/api/import/delete` (SPEC §2) drops what waits for a
 * publish — one upload, one track update, or ALL of a site's — with the
 * stored sources, and leaves what was handed to the transcoders, every
 * published track and every other site alone. The stack starts with no
 * transcoder, so a published job's uploads stay queued for as long as
 * the test looks at them; one is started later to finish the job.
 */
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  makeDistinctTones,
  startFixtureStack,
  type FixtureStack,
  type LoopbackServer,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';
import { UpdateStore } from '@ingest/state';

let fixture: FixtureStack;
let files: LoopbackServer;
let stack: TestStack;
let site: TestSite;
let other: TestSite;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 12),
    transcoders: 0,
  });
  ({ files, stack, site } = fixture);
  other = await stack.createSite();
});

after(() => fixture?.close());

const call = (
  who: TestSite,
  endpoint: string,
  params: Record<string, unknown> = {},
) => stack.call(`/api/import/${endpoint}`, who.token, params);

async function upload(who: TestSite, n: number, extra = {}) {
  const { status, body } = await call(who, 'upload', {
    url: `${files.url}/tone-${n}.wav`,
    ...extra,
  });
  assert.equal(status, 200, JSON.stringify(body));
  return body.upload_id as number;
}

/** Where the stored sources of an upload live on disk. */
async function sourceFiles(uploadId: number): Promise<string[]> {
  const stored = await stack.store.uploadById(uploadId);
  assert.ok(stored, `upload ${uploadId} exists`);
  return Object.values(stored.sources).map((s) =>
    path.join(stack.dataDir, 'storage', s.storageKey),
  );
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describe('delete', () => {
  const ids: Record<string, number> = {};
  let mainJob: number;
  let trackId: number;

  test('one waiting upload: gone, counted out, its source removed', async () => {
    ids.a = await upload(site, 1);
    ids.b = await upload(site, 2);
    ids.c = await upload(site, 3);
    const [source] = await sourceFiles(ids.a);
    assert.ok(await exists(source));

    const { status, body } = await call(site, 'delete', { upload_id: ids.a });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body, { result: 'success', deleted: 1 });
    assert.equal(await exists(source), false, 'source file removed');

    const list = await call(site, 'list');
    mainJob = list.body.job_id;
    assert.deepEqual(
      list.body.tracks.map((t: any) => t.upload_id),
      [ids.b, ids.c],
    );
    const check = await call(site, 'checkJob');
    assert.deepEqual([check.body.q, check.body.i, check.body.d], [2, 0, 0]);

    // The same bytes may come again once their upload is gone.
    ids.a2 = await upload(site, 1);
    const redo = await call(site, 'delete', { upload_id: ids.a2 });
    assert.equal(redo.status, 200);
  });

  test('unknown, deleted and other sites\' ids answer 404', async () => {
    const again = await call(site, 'delete', { upload_id: ids.a });
    assert.equal(again.status, 404, JSON.stringify(again.body));
    assert.equal(again.body.code, 'not_found');

    const theirs = await call(other, 'delete', { upload_id: ids.b });
    assert.equal(theirs.status, 404, JSON.stringify(theirs.body));
    assert.equal(theirs.body.code, 'not_found');
    assert.ok(await stack.store.uploadById(ids.b), 'upload b untouched');

    const update = await call(site, 'delete', { update_id: 999_999 });
    assert.equal(update.status, 404);
  });

  test('bad calls are refused with a code', async () => {
    const none = await call(site, 'delete');
    assert.equal(none.status, 400);
    assert.equal(none.body.code, 'invalid_parameter');
    assert.deepEqual(none.body.parameters, ['upload_id', 'update_id']);

    const word = await call(site, 'delete', { upload_id: 'some' });
    assert.equal(word.status, 400);
    assert.equal(word.body.code, 'invalid_parameter');

    const both = await call(site, 'delete', { upload_id: ids.b, update_id: 1 });
    assert.equal(both.status, 400);
    assert.deepEqual(both.body.parameters, ['upload_id', 'update_id']);
    assert.ok(await stack.store.uploadById(ids.b));
  });

  test('uploads handed to the transcoders cannot be deleted', async () => {
    const published = await call(site, 'publish');
    assert.equal(published.status, 200, JSON.stringify(published.body));
    assert.equal(published.body.queued, 2);

    const queued = await call(site, 'delete', { upload_id: ids.b });
    assert.equal(queued.status, 409, JSON.stringify(queued.body));
    assert.equal(queued.body.code, 'upload_not_queued');
    assert.equal(
      queued.body.error,
      `upload ${ids.b} was published and waits for a transcoder; ` +
        'only what waits in a job not yet published can be deleted',
    );
    assert.equal(queued.body.status, 'queued');

    // Every call refused for the upload's state says which state it is.
    for (const [endpoint, params] of [
      ['setMetadata', { meta: { Title: 'x' } }],
      ['setFormats', { formats: 'mp3' }],
      ['upload', { url: `${files.url}/tone-1.wav` }],
    ] as const) {
      const answer = await call(site, endpoint, { upload_id: ids.b, ...params });
      assert.equal(answer.status, 409, JSON.stringify(answer.body));
      assert.equal(answer.body.code, 'upload_not_queued');
      assert.equal(answer.body.status, 'queued', endpoint);
      assert.match(
        answer.body.error,
        new RegExp(`^upload ${ids.b} was published and waits for a transcoder; `),
      );
    }

    const all = await call(site, 'delete', { upload_id: 'ALL' });
    assert.deepEqual(all.body, { result: 'success', deleted: 0 });
    for (const file of await sourceFiles(ids.b)) assert.ok(await exists(file));
  });

  test('the job completes with right counters once transcoded', async () => {
    await stack.startService('transcoder');
    const check = await stack.waitForJob(site.token, mainJob);
    assert.deepEqual(
      [check.q, check.i, check.d, check.e],
      [0, 0, 2, 0],
      'the deleted upload left no count behind',
    );
    const list = await call(site, 'list', { job_id: mainJob });
    trackId = list.body.tracks[0].track_id;
    assert.ok(trackId);

    const published = await call(site, 'delete', { upload_id: ids.b });
    assert.equal(published.status, 409);
    assert.equal(published.body.code, 'upload_not_queued');
    assert.match(published.body.error, /was published and transcoded; /);
  });

  test('an update waiting in a job is deleted by update_id', async () => {
    const { status, body } = await call(site, 'upload', {
      url: `${files.url}/tone-4.wav`,
      track_id: trackId,
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.update_to, trackId);
    const updateId = body.update_id;
    const stored = await new UpdateStore(stack.redis).byId(updateId);
    const [source] = Object.values(stored?.sources ?? {}).map((s) =>
      path.join(stack.dataDir, 'storage', s.storageKey),
    );
    assert.ok(source && (await exists(source)));

    const theirs = await call(other, 'delete', { update_id: updateId });
    assert.equal(theirs.status, 404);

    const deleted = await call(site, 'delete', { update_id: updateId });
    assert.deepEqual(deleted.body, { result: 'success', deleted: 1 });
    assert.equal(await exists(source), false, 'source file removed');
    const again = await call(site, 'delete', { update_id: updateId });
    assert.equal(again.status, 404);

    const check = await call(site, 'checkJob');
    assert.equal(check.body.q, 0, 'the update left no count behind');
  });

  test('ALL drops every waiting upload and update of the site only', async () => {
    const created = await call(site, 'createJob', { name: 'side' });
    const sideJob = created.body.job_id;
    ids.d = await upload(site, 5);
    ids.e = await upload(site, 6, { job_id: sideJob });
    ids.f = await upload(site, 7, { job_id: sideJob });
    const update = await call(site, 'upload', {
      url: `${files.url}/tone-8.wav`,
      track_id: trackId,
    });
    assert.equal(update.status, 200, JSON.stringify(update.body));
    const theirs = await upload(other, 9);

    const sources = [
      ...(await sourceFiles(ids.d)),
      ...(await sourceFiles(ids.e)),
      ...(await sourceFiles(ids.f)),
    ];
    const { status, body } = await call(site, 'delete', { upload_id: 'ALL' });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body, { result: 'success', deleted: 4 });
    for (const file of sources) assert.equal(await exists(file), false);

    for (const jobId of [sideJob, undefined]) {
      const check = await call(site, 'checkJob', { job_id: jobId });
      assert.equal(check.body.q, 0);
      const list = await call(site, 'list', { job_id: jobId });
      assert.deepEqual(list.body.tracks, []);
    }
    const empty = await call(site, 'publish', { job_id: sideJob });
    assert.equal(empty.status, 409);
    assert.equal(empty.body.code, 'job_empty');

    const otherList = await call(other, 'list');
    assert.deepEqual(
      otherList.body.tracks.map((t: any) => t.upload_id),
      [theirs],
    );
    const track = await stack.call('/api/tracks/getById', site.token, {
      track_id: trackId,
    });
    assert.equal(track.status, 200, 'the published track stays');

    const nothing = await call(site, 'delete', { upload_id: 'all' });
    assert.deepEqual(nothing.body, { result: 'success', deleted: 0 });
  });

  test('job_id narrows ALL to that job and must hold a single id', async () => {
    const side = (await call(site, 'createJob', { name: 'narrow' })).body
      .job_id;
    const kept = await upload(site, 10);
    const inSide = await upload(site, 11, { job_id: side });
    const alsoSide = await upload(site, 12, { job_id: side });
    const keptSources = await sourceFiles(kept);

    const theirs = await call(other, 'delete', {
      upload_id: 'ALL',
      job_id: side,
    });
    assert.equal(theirs.status, 404, JSON.stringify(theirs.body));
    assert.equal(theirs.body.code, 'not_found');

    const elsewhere = await call(site, 'delete', {
      upload_id: kept,
      job_id: side,
    });
    assert.equal(elsewhere.status, 400, JSON.stringify(elsewhere.body));
    assert.equal(elsewhere.body.code, 'invalid_parameter');
    assert.deepEqual(elsewhere.body.parameters, ['upload_id', 'job_id']);
    assert.ok(await stack.store.uploadById(kept), 'not deleted');

    const one = await call(site, 'delete', { upload_id: inSide, job_id: side });
    assert.deepEqual(one.body, { result: 'success', deleted: 1 });

    const all = await call(site, 'delete', { upload_id: 'ALL', job_id: side });
    assert.deepEqual(all.body, { result: 'success', deleted: 1 });
    assert.equal(await stack.store.uploadById(alsoSide), undefined);
    assert.ok(await stack.store.uploadById(kept), 'the main job is untouched');
    for (const file of keptSources) assert.ok(await exists(file));
    const list = await call(site, 'list');
    assert.deepEqual(
      list.body.tracks.map((t: any) => t.upload_id),
      [kept],
    );
  });
});
