import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { UnrecoverableError } from 'bullmq';
import { recordingLogger, redisForTests, waitUntil } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { dataRefusalOf } from './checked-data-worker';
import { handoverCheckOptions, QUEUE_POLICIES } from './contracts';
import { openQueue, openWorker } from './queues';
import { KEY_PREFIX } from './redis-connection';
import { RetryLaterError } from './retry-later-error';

const own = redisForTests();
/** Workers block on their own connection kind. */
let blocking: Redis;

before(async () => {
  await own.started;
  blocking = own.client('worker');
});

const logger = { error() {}, warn() {}, info() {}, debug() {} };
const idle = async () => 'done';

test('a worker runs as many jobs at once as the policy table says', async () => {
  const worker = openWorker('webhook', blocking, idle, { logger });
  try {
    assert.equal(worker.opts.concurrency, QUEUE_POLICIES.webhook.concurrency);
    assert.equal(worker.opts.concurrency, 16);
  } finally {
    await worker.close();
  }
  assert.throws(
    () => openWorker('email', blocking, idle, { logger, concurrency: 9 }),
    /email: concurrency is fixed by QUEUE_POLICIES/,
  );
});

test('a queue whose policy says configured takes the setting', async () => {
  assert.equal(QUEUE_POLICIES.transcode.concurrency, 'configured');
  const worker = openWorker('transcode', blocking, idle, {
    logger,
    concurrency: 3,
  });
  try {
    assert.equal(worker.opts.concurrency, 3);
  } finally {
    await worker.close();
  }
  assert.throws(
    () => openWorker('imports', blocking, idle, { logger }),
    /imports: concurrency comes from a setting/,
  );
});

test('a delivery queue gives added jobs the schedule attempts', async () => {
  const queue = openQueue('webhook', own.redis, { scheduleMs: [10, 20, 30] });
  try {
    // Never run: no worker takes this queue here.
    const job = await queue.add('webhook', {
      jobId: 1,
      eventId: 'evt_attempts',
      url: 'http://127.0.0.1/never-called',
    });
    assert.equal(job.opts.attempts, 4);
    assert.deepEqual(job.opts.backoff, { type: 'schedule' });
    const stored = await queue.getJob(job.id!);
    assert.equal(stored?.opts.attempts, 4);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

test('a worker waits the schedule entry before each retry', async () => {
  const worker = openWorker('email', blocking, idle, {
    logger,
    scheduleMs: [100, 5_000],
  });
  const strategy = worker.opts.settings?.backoffStrategy;
  assert.ok(strategy);
  const delays = [1, 2, 3].map((n) =>
    strategy(n, 'schedule', new Error('x'), undefined as never),
  );
  await worker.close();
  assert.deepEqual(delays, [100, 5_000, 5_000]);
});

test("a receiver's Retry-After stretches a retry up to the longest entry", async () => {
  const worker = openWorker('webhook', blocking, idle, {
    logger,
    scheduleMs: [100, 5_000],
  });
  const strategy = worker.opts.settings?.backoffStrategy;
  assert.ok(strategy);
  const delay = (attemptsMade: number, askedMs: number, startedAgo = 0) =>
    strategy(
      attemptsMade,
      'schedule',
      new RetryLaterError('webhook answered 429', askedMs),
      { timestamp: Date.now() - startedAgo } as never,
    );
  const delays = [
    delay(1, 2_000),
    delay(1, 3_600_000),
    delay(2, 50),
    // The schedule's 5.1 s from the start are nearly gone.
    delay(1, 3_600_000, 4_100),
  ] as number[];
  await worker.close();
  // Asked for longer: waited, but never past 5 s, nor past the end of
  // the schedule; shorter: the schedule.
  assert.equal(delays[0], 2_000);
  assert.equal(delays[1], 5_000);
  assert.equal(delays[2], 5_000);
  assert.ok(delays[3] >= 950 && delays[3] <= 1_000, `got ${delays[3]}`);
});

test("a publish's hand-over check is one per job, due after the latest publish", async () => {
  const queue = openQueue('autopublish', own.redis);
  try {
    const data = { jobId: 77, handover: true };
    const first = await queue.add('autopublish', data, handoverCheckOptions(77));
    const dueFirst = (await own.redis.zscore(`${queue.keys.delayed}`, first.id!))!;
    // A later publish of the same job: still one check, due later.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await queue.add('autopublish', data, handoverCheckOptions(77));
    const delayed = await queue.getDelayed();
    assert.deepEqual(delayed.map((j) => j.id), [first.id]);
    const dueNow = (await own.redis.zscore(`${queue.keys.delayed}`, first.id!))!;
    assert.ok(Number(dueNow) > Number(dueFirst), `${dueNow} <= ${dueFirst}`);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

const KEY = `${KEY_PREFIX}:imports`;
const refusal = new Error('options refused');

// BullMQ parsed a job's options as the job was handed over, before any
// check of ours: options that were not JSON threw there, in the worker's
// fetch or in the completion of the job run before it (which fetches
// the next), and the job sat active until the stalled check.
test('a job whose stored options are not JSON is refused at once', async () => {
  const queue = openQueue('imports', own.redis);
  const log = recordingLogger();
  const runs: Array<{ id?: string; refused?: string }> = [];
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const worker = openWorker(
    'imports',
    blocking,
    async (job) => {
      runs.push({ id: job.id, refused: dataRefusalOf(job)?.message });
      if (job.id === 'first') await held;
      const refused = dataRefusalOf(job);
      if (refused) throw new UnrecoverableError(refused.message);
      return 'done';
    },
    {
      concurrency: 1,
      logger: log.logger,
      dataCheck: () => undefined,
      optsRefusal: refusal,
    },
  );
  try {
    const payload = { v: 1 as const, siteId: 1, source: { url: 'x' } };
    await queue.add('import', payload, { jobId: 'first' });
    void worker.run();
    await waitUntil(() => runs.length === 1, { timeoutMs: 10_000 });

    // Written as any Redis client can, while `first` runs: the worker
    // meets it as the next job when `first` completes.
    await own.redis.hset(`${KEY}:bad-opts`, {
      name: 'import',
      data: JSON.stringify(payload),
      opts: 'not json',
      timestamp: String(Date.now()),
      delay: '0',
      priority: '0',
    });
    await own.redis.lpush(`${KEY}:wait`, 'bad-opts');
    await queue.add('import', payload, { jobId: 'last' });
    release();

    await waitUntil(async () => (await queue.getJobState('last')) === 'completed', {
      timeoutMs: 10_000,
    });
    assert.equal(await queue.getJobState('first'), 'completed');
    assert.deepEqual(log.at('error'), []);
    assert.deepEqual(runs, [
      { id: 'first', refused: undefined },
      { id: 'bad-opts', refused: 'options refused' },
      { id: 'last', refused: undefined },
    ]);
    // Readable by any BullMQ client again, and failed on its first run.
    assert.equal(await own.redis.hget(`${KEY}:bad-opts`, 'opts'), '{}');
    const bad = await queue.getJob('bad-opts');
    assert.equal(await bad?.getState(), 'failed');
    assert.equal(bad?.failedReason, 'options refused');
    assert.equal(bad?.attemptsStarted, 1);
  } finally {
    await worker.close();
    await queue.close();
  }
});
