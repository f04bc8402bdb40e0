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
  assert.ok(update !== 'closed');
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
