import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceFile } from '@ingest/core';
import { redisForTests } from '@ingest/testkit';
import { keys } from './keys';
import { SiteUsage } from './site-usage';
import { StateStore } from './state-store';
import { namedStorageKeys } from './storage-records';
import { UpdateStore } from './update-store';

const own = redisForTests();

const source = (storageKey: string): SourceFile => ({
  format: 'wav',
  storageKey,
  filename: 'a.wav',
  bytes: 1,
  sha256: 'x',
});

test('every record that names a storage key is read, and nothing else', async () => {
  const store = new StateStore(own.redis);
  const site = await store.createSite({ name: 's', token: 't', webhookSecret: 'w' });
  const job = await store.createJob(site.id, {});
  const upload = await store.addUpload(site.id, job.id, {
    formats: ['mp3'],
    sources: { wav: source('sources/1/upload'), mp3: source('sources/1/second') },
    meta: { Title: '{"storageKey": "not/json/of/a/record"}' },
  });
  assert.ok(upload !== 'closed');
  await store.tracks.noteFiles(upload.id, ['tracks/5/mp3.run.mp3']);
  await store.saveTrack({
    id: 5,
    siteId: site.id,
    uploadId: upload.id,
    jobId: job.id,
    meta: {},
    renditions: {
      mp3: {
        format: 'mp3',
        storageKey: 'tracks/5/mp3.pub.mp3',
        bytes: 1,
        sha256: 'x',
        duration: 1,
        sampleRate: 44_100,
        channels: 2,
        codec: 'mp3',
      },
    },
    createdAt: '',
  });
  const update = await new UpdateStore(own.redis).add({
    siteId: site.id,
    trackId: 5,
    uploadId: upload.id,
    jobId: 0,
    immediate: true,
    formats: ['mp3'],
    sources: { wav: source('sources/1/update') },
  });
  assert.ok(typeof update === 'object');
  // Not records of files: a count of them, and a track's update list.
  await new SiteUsage(own.redis).stored(site.id, 'tracks/6/counted.mp3', 1);
  assert.equal(await own.redis.zcard(keys.trackUpdates(5)), 1);

  assert.deepEqual([...(await namedStorageKeys(own.redis))].sort(), [
    'sources/1/second',
    'sources/1/update',
    'sources/1/upload',
    'tracks/5/mp3.pub.mp3',
    'tracks/5/mp3.run.mp3',
  ]);
});

test('keys noted for a finished upload are named by nothing', async () => {
  const store = new StateStore(own.redis);
  const site = await store.createSite({ name: 'f', token: 'f', webhookSecret: 'w' });
  const job = await store.createJob(site.id, {});
  const add = async (name: string) => {
    const upload = await store.addUpload(site.id, job.id, {
      formats: ['mp3'],
      sources: { wav: source(`sources/${site.id}/${name}`) },
      meta: {},
    });
    assert.ok(upload !== 'closed');
    await store.moveUpload(upload, 'transcoding');
    return upload;
  };
  const running = await add('running');
  const errored = await add('errored');
  assert.equal(await store.tracks.noteFiles(running.id, ['tracks/8/mp3.run.mp3']), true);
  assert.equal(await store.tracks.noteFiles(errored.id, ['tracks/9/mp3.dead.mp3']), true);
  // Errored by a transcoder killed before it took the noted keys.
  await store.moveUpload(errored, 'error');
  // A late run of it notes nothing now (nor stores what it would note).
  assert.equal(await store.tracks.noteFiles(errored.id, ['tracks/9/mp3.late.mp3']), false);
  // A published upload's set, as a version before this one let a late
  // run make it again after the publish.
  const published = await add('published');
  await store.moveUpload(published, 'published');
  await own.redis.sadd(keys.uploadFiles(published.id), 'tracks/10/mp3.late.mp3');

  const named = [...(await namedStorageKeys(own.redis))].filter((k) => k.startsWith('tracks/'));
  assert.ok(named.includes('tracks/8/mp3.run.mp3'));
  for (const key of ['tracks/9/mp3.dead.mp3', 'tracks/9/mp3.late.mp3', 'tracks/10/mp3.late.mp3']) {
    assert.ok(!named.includes(key), `${key} is named by nothing`);
  }
});
