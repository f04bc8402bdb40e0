/**
 * A site whose receiver is dead gives up on every job's webhook: its
 * contact hears of the first at once, and of the rest in one email when
 * the window ends, not once per job.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  deadReceiverJobs,
  deliveryGround,
  toldRows,
  type DeliveryGround,
} from './delivery-ground';
import { sleep, waitFor } from './test-support';

const WINDOW_MS = 4_000;
let ground: DeliveryGround;

before(async () => {
  ground = await deliveryGround('cap', {}, { contactWindowMs: WINDOW_MS });
});

after(async () => {
  await ground?.close();
});

/** Completes `count` jobs of one site whose webhooks all answer 500. */
const deadJobs = (count: number, siteId?: number) =>
  deadReceiverJobs(ground, count, { siteId });

test('give-ups within a window are told in one digest, not one email each', async () => {
  const inbox = () => ground.smtp.to('ops@example.com');
  const started = Date.now();
  const { siteId, ids } = await deadJobs(6);
  const [first, ...rest] = ids;

  const [told] = await waitFor(() => inbox().length > 0 && inbox());
  assert.match(told.subject ?? '', new RegExp(`Job ${first}: webhook`));
  assert.match(told.text ?? '', /within the next 4 seconds are listed together/);
  // The rest wait for the window's end.
  await sleep(Math.max(0, WINDOW_MS - (Date.now() - started) - 1_000));
  assert.equal(inbox().length, 1, 'more than one email in the window');

  const [, digest] = await waitFor(
    () => inbox().length > 1 && inbox(),
    10_000,
  );
  assert.equal(digest.subject, 'Webhook delivery failed for 5 jobs');
  for (const id of rest) {
    assert.match(digest.text ?? '', new RegExp(`^Job ${id} "main": .* failed 2 times; ` +
      'last error: HTTP 500$', 'm'));
  }
  assert.doesNotMatch(digest.text ?? '', new RegExp(`^Job ${first} `, 'm'));
  // Every job's log shows the email that told of it.
  for (const id of ids) {
    const rows = await toldRows(ground, id);
    assert.deepEqual(rows.map((row) => row.ok), [true], `job ${id}`);
  }

  // The digest opened the next window: a give-up now is held again.
  const later = await deadJobs(1, siteId);
  await sleep(1_000);
  assert.equal(inbox().length, 2, 'a give-up told at once in a window');
  const [, , next] = await waitFor(
    () => inbox().length > 2 && inbox(),
    10_000,
  );
  assert.equal(next.subject, 'Webhook delivery failed for 1 job');
  assert.match(next.text ?? '', new RegExp(`^Job ${later.ids[0]} `, 'm'));
  await sleep(WINDOW_MS + 1_000);
  assert.equal(inbox().length, 3);
});
