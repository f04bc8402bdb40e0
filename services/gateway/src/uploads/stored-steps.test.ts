/**
 * The steps of an upload call after its upload is stored: the job's
 * `oncomplete` set, the autopublisher told. When setting the oncomplete
 * failed, an `autopublish=1` upload was not told to the autopublisher at
 * all, and the answer ('upload 5 was stored, but the oncomplete … could
 * not be set') did not say so: its job never published by itself.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { PartlyDoneError } from '@ingest/core';
import { openQueue } from '@ingest/queue';
import { StateStore, UpdateStore } from '@ingest/state';
import { FileStorage } from '@ingest/storage';
import { createLogger } from '@ingest/telemetry';
import { makeTone, redisForTests } from '@ingest/testkit';
import { Autopublisher } from '../jobs/autopublisher';
import { Publisher } from '../jobs/publisher';
import { mediaInspector } from './media-inspector';
import { UploadService } from './upload-service';

const own = redisForTests();
let dir: string;
const logger = createLogger('test', 'silent');

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stored-steps-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A store whose `setOncomplete` is refused, as by a Redis that is full. */
function refusingOncomplete(store: StateStore, why = 'OOM'): StateStore {
  const refusing = Object.create(store) as StateStore;
  refusing.setOncomplete = () => Promise.reject(new Error(why));
  return refusing;
}

/** The gateway's autopublisher, on `store` (its marks, counts, jobs). */
function autopublisherOn(store: StateStore) {
  const autopublish = openQueue('autopublish', own.redis);
  const publisher = new Publisher(
    store,
    openQueue('transcode', own.redis),
    new UpdateStore(own.redis),
    autopublish,
  );
  return new Autopublisher({
    store,
    publisher,
    queue: autopublish,
    idleMs: 600_000,
    maxUploads: 1000,
    logger,
  });
}

async function acceptRefused(
  name: string,
  deps: { store: StateStore; autopublisher: Autopublisher },
  autopublish = true,
) {
  const store = new StateStore(own.redis);
  const storage = new FileStorage(path.join(dir, 'storage'));
  const uploads = new UploadService({
    store: deps.store,
    storage,
    inspector: mediaInspector(loadConfig({}), logger),
    fetchSource: () => Promise.reject(new Error('no fetch here')),
    maxSourceBytes: 1 << 24,
    autopublisher: deps.autopublisher,
  });
  const site = await store.createSite({ name, token: `${name}-token`, webhookSecret: 'w' });
  const job = await store.mainJob(site.id);
  const request = {
    job,
    autopublish,
    toMainJob: true,
    oncomplete: 'https://example.com/hook',
  };
  const file = await makeTone(path.join(dir, `${name}.wav`), { seconds: 1 });
  const received = await uploads.receive(site, createReadStream(file), `${name}.wav`);
  const refusal = await uploads.accept(site, request, received).then(
    () => assert.fail('accepted with its oncomplete refused'),
    (err: unknown) => err,
  );
  assert.ok(refusal instanceof PartlyDoneError, String(refusal));
  return { refusal, job };
}

test('an autopublish upload whose oncomplete fails is scheduled all the same', async () => {
  await own.started;
  const store = new StateStore(own.redis);
  const { refusal, job } = await acceptRefused('scheduled', {
    store: refusingOncomplete(store),
    autopublisher: autopublisherOn(store),
  });
  assert.match(refusal.message, /was stored, but the oncomplete of job \d+ could not be set/);
  assert.doesNotMatch(refusal.message, /could not be scheduled for autopublish/);
  // It may publish before the address is given again: the advice says so.
  assert.match(refusal.message, /a job that autopublishes first completes without it\)$/);
  assert.equal(await store.autopublish.marked(job.id), true, 'not scheduled');
});

test('both steps failing are both named', async () => {
  await own.started;
  const store = new StateStore(own.redis);
  const unmarking = Object.create(store) as StateStore;
  Object.defineProperty(unmarking, 'autopublish', {
    value: Object.assign(Object.create(store.autopublish), {
      mark: () => Promise.reject(new Error('OOM')),
    }),
  });
  const { refusal } = await acceptRefused('neither', {
    store: refusingOncomplete(store),
    autopublisher: autopublisherOn(unmarking),
  });
  const oncomplete = 'the oncomplete of job \\d+ could not be set.*';
  const autopublish = 'its job could not be scheduled for autopublish; publish the job yourself';
  const both = new RegExp(`^upload \\d+ was stored, but ${oncomplete}; and ${autopublish}$`);
  assert.match(refusal.message, both);
});

// After a Redis timeout the next step is not tried (it would wait as
// long again): named when it is one the client asked for, not otherwise.
test('a step not tried after a timeout is named only if asked for', async () => {
  await own.started;
  const store = new StateStore(own.redis);
  const deps = {
    store: refusingOncomplete(store, 'Command timed out'),
    autopublisher: autopublisherOn(store),
  };
  const plain = await acceptRefused('plain', deps, false);
  assert.match(plain.refusal.message, /could not be set; give it again .*upload\)$/);
  const asked = await acceptRefused('asked', deps);
  assert.match(asked.refusal.message, /; and its job could not be scheduled for autopublish/);
  assert.equal(await store.autopublish.marked(asked.job.id), false);
});
