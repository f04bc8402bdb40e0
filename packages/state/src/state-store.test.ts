import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { redisForTests } from '@ingest/testkit';
import { DeletionStore } from './deletion-store';
import { keys } from './keys';
import { StateStore } from './state-store';

const own = redisForTests();
let store: StateStore;

before(async () => {
  await own.started;
  store = new StateStore(own.redis);
});

const source = {
  format: 'wav',
  storageKey: 'sources/1.wav',
  filename: 'a.wav',
  bytes: 10,
  sha256: 'x',
};

async function newSite(token: string) {
  return store.createSite({ name: token, token, webhookSecret: 'whsec_x' });
}

test('a site with a contact address no mail can go to is refused', async () => {
  await assert.rejects(
    store.createSite({
      name: 'x',
      token: 'contact-token-1',
      webhookSecret: 'whsec_x',
      contactEmail: 'not an address',
    }),
    /not one plain ASCII address/,
  );
  assert.equal(await store.siteByToken('contact-token-1'), undefined);
});

test('tokens resolve to their site and are stored hashed', async () => {
  const site = await newSite('secret-token-1');
  assert.equal((await store.siteByToken('secret-token-1'))?.id, site.id);
  assert.equal(await store.siteByToken('nope'), undefined);
  const keys = await own.redis.keys('*secret-token-1*');
  assert.deepEqual(keys, []);
});

test('no key and no value in Redis holds a token as it was given', async () => {
  const token = 'plain-token-seen-nowhere';
  await store.createSite({ name: 'Hashed', token, webhookSecret: 'whsec_y' });
  for (const key of await own.redis.keys('*')) {
    assert.equal(key.includes(token), false, key);
    const text = JSON.stringify(await readAny(key));
    assert.equal(text.includes(token), false, `the value of ${key}`);
  }
});

/** A key's value, whatever its type. */
async function readAny(key: string): Promise<unknown> {
  switch (await own.redis.type(key)) {
    case 'string':
      return own.redis.get(key);
    case 'hash':
      return own.redis.hgetall(key);
    case 'set':
      return own.redis.smembers(key);
    case 'zset':
      return own.redis.zrange(key, 0, -1);
    case 'list':
      return own.redis.lrange(key, 0, -1);
    default:
      return own.redis.dump(key);
  }
}

test('main job rolls over after publish; counters follow uploads', async () => {
  const site = await newSite('t2');
  const job = await store.mainJob(site.id);
  assert.equal((await store.mainJob(site.id)).id, job.id);

  const a = await store.addUpload(site.id, job.id, {
    formats: ['mp3'],
    sources: { wav: source },
    meta: {},
  });
  const b = await store.addUpload(site.id, job.id, {
    formats: ['mp3'],
    sources: { wav: source },
    meta: {},
  });
  assert.ok(a !== 'closed' && b !== 'closed');
  assert.deepEqual(await store.counts(job.id), { q: 2, i: 0, d: 0, e: 0 });

  const published = await store.publish(job.id);
  assert.deepEqual(published, { queued: [a.id, b.id], updates: [] });
  assert.equal(await store.publish(job.id), 'closed');
  assert.notEqual((await store.mainJob(site.id)).id, job.id);
  assert.equal(
    await store.addUpload(site.id, job.id, {
      formats: ['mp3'],
      sources: {},
      meta: {},
    }),
    'closed',
  );

  await store.moveUpload(a, 'transcoding');
  assert.deepEqual(await store.counts(job.id), { q: 1, i: 1, d: 0, e: 0 });
  const first = await store.moveUpload(a, 'published');
  assert.deepEqual(first, { moved: true, jobState: 'publishing' });
  // A second delivery of the same work changes nothing.
  assert.equal((await store.moveUpload(a, 'error')).moved, false);

  const last = await store.moveUpload(b, 'error', { error: 'no audio stream' });
  assert.deepEqual(last, { moved: true, jobState: 'complete' });
  assert.deepEqual(await store.counts(job.id), { q: 0, i: 0, d: 1, e: 1 });
  assert.equal((await store.uploadById(b.id))?.error, 'no audio stream');
});

test('publishing an empty job is refused', async () => {
  const site = await newSite('t3');
  const job = await store.createJob(site.id, { name: 'x' });
  assert.equal(await store.publish(job.id), 'empty');
});

async function waiting(siteId: number, jobId: number) {
  const up = await store.addUpload(siteId, jobId, {
    formats: ['mp3'],
    sources: { wav: source },
    meta: {},
  });
  assert.ok(up !== 'closed');
  return up;
}

test('an idle publish is refused once its autopublish uploads were dropped', async () => {
  const site = await newSite('t7');
  const job = await store.createJob(site.id, { name: 'idle' });
  const plain = await waiting(site.id, job.id);
  const auto = await waiting(site.id, job.id);
  await store.autopublish.mark(job.id, `upload:${auto.id}`);

  const dropped = await new DeletionStore(own.redis).dropWaiting(auto);
  assert.equal(dropped.dropped, true);
  // The mark goes in the drop itself, not in a later call.
  assert.deepEqual(await own.redis.smembers(keys.jobAutopublish(job.id)), []);

  assert.equal(await store.publish(job.id, '', true), 'no_autopublish');
  assert.equal((await store.jobById(job.id))?.state, 'open');
  assert.equal((await store.uploadById(plain.id))?.status, 'uploaded');
  // A client's publish does not ask for one.
  assert.deepEqual(await store.publish(job.id), {
    queued: [plain.id],
    updates: [],
  });
});

test('a mark that comes after its upload was dropped marks nothing', async () => {
  const site = await newSite('t9');
  const job = await store.createJob(site.id, { name: 'late mark' });
  const plain = await waiting(site.id, job.id);
  const auto = await waiting(site.id, job.id);
  // A delete lands between the upload's add and its mark.
  assert.equal((await new DeletionStore(own.redis).dropWaiting(auto)).dropped, true);
  await store.autopublish.mark(job.id, `upload:${auto.id}`);

  // As if the mark had come first and the drop taken it out.
  assert.deepEqual(await own.redis.smembers(keys.jobAutopublish(job.id)), []);
  assert.equal(await store.autopublish.any(job.id), false);
  assert.equal(await store.publish(job.id, '', true), 'no_autopublish');
  assert.equal((await store.uploadById(plain.id))?.status, 'uploaded');
});

test('an idle publish goes ahead with a mark left, or none ever made', async () => {
  const site = await newSite('t8');
  const marked = await store.createJob(site.id, { name: 'marked' });
  const auto = await waiting(site.id, marked.id);
  const plain = await waiting(site.id, marked.id);
  await store.autopublish.mark(marked.id, `upload:${auto.id}`);
  assert.equal((await new DeletionStore(own.redis).dropWaiting(plain)).dropped, true);
  assert.deepEqual(await store.publish(marked.id, '', true), {
    queued: [auto.id],
    updates: [],
  });

  // A timer started by an older gateway, before uploads were marked.
  const older = await store.createJob(site.id, { name: 'older' });
  const up = await waiting(site.id, older.id);
  assert.deepEqual(await store.publish(older.id, '', true), {
    queued: [up.id],
    updates: [],
  });
});

test('a track id is claimed once per upload', async () => {
  const site = await newSite('t4');
  const job = await store.mainJob(site.id);
  const up = await store.addUpload(site.id, job.id, {
    formats: ['mp3'],
    sources: {},
    meta: {},
  });
  assert.ok(up !== 'closed');
  const ids = await Promise.all([1, 2, 3].map(() => store.claimTrackId(up.id)));
  assert.equal(new Set(ids).size, 1);
});

test('other sites see nothing', async () => {
  const one = await newSite('t5');
  const two = await newSite('t6');
  const job = await store.mainJob(one.id);
  assert.equal(await store.getJob(two.id, job.id), undefined);
  assert.equal((await store.getJob(one.id, job.id))?.id, job.id);
});

test('a publish drops the indexes only an open job uses', async () => {
  const site = await newSite('t-indexes');
  const job = await store.createJob(site.id, { name: 'indexes' });
  const up = await store.addUpload(
    site.id,
    job.id,
    { formats: ['mp3'], sources: { wav: source }, meta: {}, stem: 'song' },
    'sha-of-song',
  );
  assert.ok(up !== 'closed' && 'id' in up);
  await store.autopublish.mark(job.id, `upload:${up.id}`);
  const indexes = [
    keys.jobShas(job.id),
    keys.jobStems(job.id),
    keys.jobAutopublish(job.id),
  ];
  assert.equal(await own.redis.exists(...indexes), 3);

  assert.deepEqual(await store.publish(job.id), { queued: [up.id], updates: [] });
  // Kept, they would stay for every job ever made: the soak found them.
  assert.equal(await own.redis.exists(...indexes), 0);
  assert.equal(await own.redis.exists(keys.jobUploads(job.id)), 1);
  assert.equal(await store.publish(job.id), 'closed');
});
