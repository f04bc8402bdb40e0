/**
 * The stalled-out handler (stalled-out.ts) waiting on a failed job's
 * live run while Redis pauses longer than the run's presence lease: its
 * check, sent before the pause, is answered before the renewals the
 * run's transcoder sent meanwhile, and finds the run lapsed. Real Redis
 * (its own redis-server, stopped and resumed), a folder store.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openQueue, type TypedJob } from '@ingest/queue';
import { RunPresence, StateStore, UpdateStore } from '@ingest/state';
import { FileStorage } from '@ingest/storage';
import { recordingLogger, redisForTests, waitUntil } from '@ingest/testkit';
import { stalledOutHandler } from './stalled-out';
import { queuedUploadOf } from './test-support';
import type { UpdateProcessorDeps } from './update-processor';

const queues: Array<{ close(): Promise<unknown> }> = [];
const own = redisForTests({
  closeFirst: () => Promise.all(queues.map((queue) => queue.close())),
});
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stalled-out-pause-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const LEASE_MS = 600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the handler's checks, so the test knows it looked again. */
class CountedPresence extends RunPresence {
  checks = 0;

  override async alive(bullJobId: string): Promise<boolean> {
    const alive = await super.alive(bullJobId);
    this.checks++;
    return alive;
  }
}

/**
 * An upload being transcoded by a run marked present, and its job as
 * BullMQ fails it for stalling; `handle` runs the stalled-out handler.
 */
async function stallingRun() {
  const log = recordingLogger();
  const logger = { ...log.logger, child: () => logger };
  const store = new StateStore(own.redis);
  const completion = openQueue('completion', own.redis);
  const index = openQueue('index', own.redis);
  queues.push(completion, index);
  const deps = {
    store,
    updates: new UpdateStore(own.redis),
    storage: new FileStorage(path.join(dir, 'storage')),
    completion,
    index,
    logger,
    workDir: path.join(dir, 'work'),
  } as unknown as UpdateProcessorDeps;
  const name = `p${++sites}`;
  const site = await store.createSite({ name, token: name, webhookSecret: 'w' });
  const upload = await queuedUploadOf(store, site.id, {
    formats: ['mp3'],
    sources: {},
    meta: {},
  });
  await store.moveUpload(upload, 'transcoding');

  // The run goes on, marked present; BullMQ failed its job for stalling.
  const presence = new CountedPresence(own.redis, LEASE_MS);
  const run = await presence.enter(`u${upload.id}`);
  const job = {
    id: `u${upload.id}`,
    data: { uploadId: upload.id },
    attemptsMade: 3,
    opts: { attempts: 3 },
    finishedOn: Date.now(),
  } as TypedJob<'transcode'>;
  const handle = () =>
    stalledOutHandler(deps, presence, 50)(job, new Error('job stalled more than allowable limit'));
  const status = async () => (await store.uploadById(upload.id))?.status;
  return { log, presence, run, handle, status, upload };
}
let sites = 0;

test('a live run is not errored by a check Redis answered after a long pause', async () => {
  const { log, presence, run, handle, status, upload } = await stallingRun();
  handle();
  await waitUntil(() => log.at('info').some((l) => /still has a run going/.test(l.message)));

  try {
    const pid = own.server.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(LEASE_MS * 3);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // The run's transcoder renews as before; the handler looks again.
    const seen = presence.checks;
    await waitUntil(async () => (await status()) === 'error' || presence.checks >= seen + 3);
    assert.equal(await status(), 'transcoding', `upload ${upload.id} errored`);
  } finally {
    await run.leave();
  }
  // Once the run is gone (ended without publishing), the handler errors it.
  await waitUntil(async () => (await status()) === 'error');
});

test('a job failed during a long pause is not errored while its run goes on', async () => {
  // Another transcoder's stall check may fail the job before the one
  // running it is back: the handler's first check, sent before the run's
  // renewals, finds it lapsed.
  const { log, presence, run, handle, status, upload } = await stallingRun();
  try {
    const pid = own.server.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      handle();
      await sleep(LEASE_MS * 3);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitUntil(
      async () =>
        (await status()) === 'error' ||
        log.at('info').some((l) => /still has a run going/.test(l.message)),
    );
    const seen = presence.checks;
    await waitUntil(async () => (await status()) === 'error' || presence.checks >= seen + 2);
    assert.equal(await status(), 'transcoding', `upload ${upload.id} errored`);
  } finally {
    await run.leave();
  }
  await waitUntil(async () => (await status()) === 'error');
});
