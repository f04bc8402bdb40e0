/**
 * End to end: import jobs whose stored data a gateway must not run, as
 * any Redis client can write them (docs/inbound-queue.md, "Job data"):
 * text that is not JSON, and data past HTTP's 1 MiB body cap. Each fails
 * at once with a JSON error body, and the imports behind it run.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IngestApiError } from '@ingest/client';
import { QueueImporter } from '@ingest/client-queue';
import {
  makeTone,
  startFixtureStack,
  type FixtureStack,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';

let fixture: FixtureStack;
let stack: TestStack;
let site: TestSite;
let importer: QueueImporter;

before(async () => {
  fixture = await startFixtureStack({
    // Bytes of their own each: a job takes the same bytes once.
    fixtures: async (dir) => {
      for (const [i, frequency] of [440, 550, 660, 770].entries()) {
        await makeTone(path.join(dir, `tone-${i}.wav`), { seconds: 2, frequency });
      }
    },
  });
  ({ stack, site } = fixture);
  importer = new QueueImporter({ redisUrl: stack.redisServer.url });
});

after(async () => {
  await importer?.close();
  await fixture?.close();
});

// Well under the 60 s lock: a job BullMQ could not read stayed active
// that long before the stalled check saw it.
const WAIT = { timeoutMs: 20_000, intervalMs: 100 };
const KEY = '{ingest}:imports';

/** Adds a job the way `redis-cli` would: its hash, then the wait list. */
async function addRaw(id: string, data: string, opts = '{}') {
  await stack.redis.hset(`${KEY}:${id}`, {
    name: 'import',
    data,
    opts,
    timestamp: String(Date.now()),
    delay: '0',
    priority: '0',
  });
  await stack.redis.lpush(`${KEY}:wait`, id);
  // Wakes a worker blocked on an empty queue, as BullMQ's add does.
  await stack.redis.zadd(`${KEY}:marker`, 0, '0');
}

/** The refusal the SDK reads from a failed import. */
async function refusalOf(id: string) {
  const err = await importer.waitForImport(id, WAIT).then(
    (answer) => assert.fail(`accepted: ${JSON.stringify(answer)}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof IngestApiError, String(err));
  return err;
}

/** `payload` as JSON text of `bytes` bytes: blank space fills it up. */
function padded(payload: object, bytes: number): string {
  const text = JSON.stringify(payload);
  return text.slice(0, -1) + ' '.repeat(bytes - text.length) + '}';
}

/** An import of tone `i` that a gateway answers. */
const goodPayload = (i: number) => ({
  v: 1 as const,
  siteId: site.id,
  source: { url: `${fixture.files.url}/tone-${i}.wav` },
});

describe('an import whose stored data cannot be run', () => {
  test('is failed at once when it is not JSON; the next runs', async () => {
    await addRaw('raw-not-json', 'not json');
    const next = await importer.enqueueImport(goodPayload(0));

    const err = await refusalOf('raw-not-json');
    assert.equal(err.code, 'invalid_parameter');
    assert.equal(err.status, 400);
    assert.deepEqual(err.body, {
      error: 'job data is not JSON; add the payload as a JSON object',
      code: 'invalid_parameter',
      parameters: [],
    });
    // One run, no stall; the data is readable by any BullMQ client now.
    const stored = await stack.redis.hgetall(`${KEY}:raw-not-json`);
    assert.equal(stored.ats, '1');
    assert.equal(stored.stc ?? '0', '0');
    assert.equal(stored.data, 'null');

    const answer = await importer.waitForImport(next, WAIT);
    assert.equal(answer.status, 'uploaded');
  });

  test('is refused past 1 MiB, as HTTP refuses such a body', async () => {
    // Valid JSON that the payload checks take: its size is blank space.
    await addRaw('raw-big', padded(goodPayload(1), (1 << 20) + 1));

    const err = await refusalOf('raw-big');
    assert.equal(err.status, 413);
    assert.deepEqual(err.body, {
      error: 'job data exceeds 1048576 bytes',
      code: 'payload_too_large',
    });
    assert.equal(await stack.redis.hget(`${KEY}:raw-big`, 'data'), 'null');
  });

  test('with a meta number JSON reads as other digits is refused', async () => {
    // As HTTP refuses it: 1e-400 would be stored as "0".
    const text = JSON.stringify({ ...goodPayload(1), meta: { BPM: 0 } });
    await addRaw('raw-bpm', text.replace('"BPM":0', '"BPM":1e-400'));

    const err = await refusalOf('raw-bpm');
    assert.deepEqual(err.body, {
      error:
        'meta[BPM] is a JSON number that cannot be read exactly ' +
        '(1e-400 reads as 0); send it as a string',
      code: 'invalid_parameter',
      parameters: ['meta[BPM]'],
    });
  });

  // BullMQ parses a job's options as it hands the job over, before any
  // code of the gateway sees it: such a job sat active until the
  // stalled check took it back, twice, then failed as stalled.
  test('is failed at once when its options are not a JSON object', async () => {
    for (const [id, opts] of [['raw-opts', 'not json'], ['raw-opts-null', 'null']]) {
      await addRaw(id, JSON.stringify(goodPayload(1)), opts);
    }
    const next = await importer.enqueueImport(goodPayload(3));

    for (const id of ['raw-opts', 'raw-opts-null']) {
      const err = await refusalOf(id);
      assert.deepEqual(err.body, {
        error:
          'job options are not a JSON object; add the job with ' +
          "BullMQ's own options, or none",
        code: 'invalid_parameter',
        parameters: [],
      });
      const stored = await stack.redis.hgetall(`${KEY}:${id}`);
      assert.equal(stored.ats, '1');
      assert.equal(stored.stc ?? '0', '0');
      // Readable by any BullMQ client now (the SDK read it above).
      assert.equal(stored.opts, '{}');
    }
    const answer = await importer.waitForImport(next, WAIT);
    assert.equal(answer.status, 'uploaded');
  });

  test('of exactly 1 MiB is run', async () => {
    await addRaw('raw-mib', padded(goodPayload(2), 1 << 20));
    const answer = await importer.waitForImport('raw-mib', WAIT);
    assert.equal(answer.status, 'uploaded');
  });
});
