/**
 * Fault: Redis stops answering (SIGSTOP) just after an upload is stored,
 * at the write of its `oncomplete`. The call said what it had stored
 * (`upload 5 was stored, but …`, with its `upload_id`) but as a 500
 * `internal`, where every other call that meets a stalled Redis answers
 * 503 `not_ready`; and only after waiting out two more timeouts of its
 * own, keeping its Idempotency-Key answer and then freeing the site's
 * upload slot (30 s in all). It now answers 503 with the same body as
 * soon as the write is given up on, the rest running behind the answer;
 * a retry with its key is told the same, and stores no second upload.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeTone, startFixtureStack, type FixtureStack } from '@ingest/testkit';
import { collectLines, waitUntil } from './fault-kit';
import { stallingGateway, type StallingGateway } from './stalling-gateway';

/** The oncomplete the call sets once its upload is stored. */
const STALL_AT = 'stall-at-this-write@example.test';
const KEY = 'partly-done-in-a-stall';

let fixture: FixtureStack;
// Stops Redis as the write of the oncomplete goes to it, and no sooner.
let gateway: StallingGateway;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await makeTone(path.join(dir, 'first.wav'), { seconds: 0.5 });
      await makeTone(path.join(dir, 'next.wav'), { seconds: 0.6 });
    },
    transcoders: 0,
  });
  gateway = await stallingGateway(fixture.stack);
});

after(async () => {
  await gateway?.close();
  await fixture?.close();
});

interface Answer {
  status: number;
  replayed: string | null;
  body: { code?: string; error?: string; upload_id?: number };
}

async function upload(name: string, key?: string): Promise<Answer> {
  const res = await fetch(`${gateway.url}/api/import/upload`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${fixture.site.token}`,
      'content-type': 'application/json',
      ...(key && { 'idempotency-key': key }),
    },
    body: JSON.stringify({
      url: `${fixture.files.url}/${name}`,
      oncomplete: STALL_AT,
    }),
  });
  return {
    status: res.status,
    replayed: res.headers.get('idempotent-replayed'),
    body: (await res.json()) as Answer['body'],
  };
}

test('a stall after the upload is stored: 503 naming it, at once', async () => {
  const { stack } = fixture;
  const lines = collectLines(stack.services);
  gateway.stallWhen((sent) => sent.includes(STALL_AT));

  let first: Answer;
  const sentAt = Date.now();
  try {
    first = await upload('first.wav', KEY);
    console.log(`# observed: answered ${Date.now() - sentAt} ms after it was sent`);
    // Still to come: keeping the key's answer and freeing the upload
    // slot, each sent to Redis before the answer and given up on after.
    const behind = () =>
      lines.filter(
        (line) =>
          line.msg === 'request cleanup failed' ||
          line.msg === 'idempotency answer not stored',
      );
    assert.deepEqual(behind(), [], 'answered only once the rest gave up');
    await waitUntil('the cleanup to give up', () => behind().length === 2);
  } finally {
    gateway.resume();
  }
  assert.equal(first.status, 503, JSON.stringify(first.body));
  assert.equal(first.body.code, 'not_ready');
  const uploadId = first.body.upload_id;
  assert.ok(uploadId, JSON.stringify(first.body));
  assert.match(
    first.body.error ?? '',
    new RegExp(`^upload ${uploadId} was stored, but the oncomplete`),
  );

  // The SDK retries a 503 with the key: the answer again, nothing more.
  const retry = await upload('first.wav', KEY);
  assert.deepEqual(
    [retry.status, retry.replayed, retry.body],
    [503, 'true', first.body],
  );
  const list = await stack.call('/api/import/list', fixture.site.token);
  const ids = list.body.tracks.map((track: any) => track.upload_id);
  assert.deepEqual(ids, [uploadId]);

  // The slot was freed behind the answer: the next upload is taken.
  const next = await upload('next.wav');
  assert.equal(next.status, 200, JSON.stringify(next.body));
});
