/**
 * A client chooses where its jobs' emails go (`oncomplete`): a site past
 * INGEST_EMAILS_PER_SITE_HOUR has the rest wait their turn, none
 * dropped, while other sites' emails and its own webhooks go at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jobIds } from '@ingest/queue';
import {
  completeJob,
  deliveryGround,
  toldRows,
  type DeliveryGround,
} from './delivery-ground';
import { eventIdOf } from './job-event';
import { waitFor, webhookEnd } from './test-support';

/** The span the pace counts in here, instead of an hour. */
const PACE_WINDOW_MS = 5_000;
let ground: DeliveryGround;

before(async () => {
  ground = await deliveryGround(
    'pace',
    { INGEST_EMAILS_PER_SITE_HOUR: '2' },
    { emailPaceWindowMs: PACE_WINDOW_MS },
  );
});

after(async () => {
  await ground?.close();
});

/** The email job of a job's `oncomplete` address, once added. */
function emailJob(jobId: number, to: string) {
  return waitFor(async () => {
    const job = await ground.store.jobById(jobId);
    const id = job && jobIds.email(eventIdOf(job), 'oncomplete', to);
    return (id && (await ground.emails.getJob(id))) || false;
  });
}

test("a site's emails past its pace wait, others' do not", async () => {
  const flooded = 'victim@example.com';
  const first = await completeJob(ground, { oncomplete: flooded });
  const { siteId } = first;
  const floodJobs = [first.job.id];
  for (let i = 0; i < 3; i++) {
    floodJobs.push((await completeJob(ground, { oncomplete: flooded, siteId })).job.id);
  }
  const other = await completeJob(ground, { oncomplete: 'other@example.com' });

  // Two go now; the third and fourth wait a window for their turn.
  const queued = await Promise.all(floodJobs.map((id) => emailJob(id, flooded)));
  const delays = queued.map((job) => job.delay);
  assert.equal(delays.filter((ms) => ms === 0).length, 2, `delays ${delays}`);
  assert.equal(delays.filter((ms) => ms > 0).length, 2, `delays ${delays}`);
  // Another site's email goes at once and arrives.
  assert.equal((await emailJob(other.job.id, 'other@example.com')).delay, 0);
  await waitFor(() => ground.smtp.to('other@example.com').length === 1);

  // Webhooks of the flooded site are not paced.
  const hook = ground.receiver.route([204]);
  const hooked = [];
  for (let i = 0; i < 3; i++) {
    hooked.push((await completeJob(ground, { oncomplete: hook.url, siteId })).job.id);
  }
  for (const id of hooked) {
    assert.equal(await webhookEnd(ground.store, ground.webhooks, id), 'completed');
  }

  // None is dropped: each arrives once, and each job's log shows it.
  await waitFor(() => ground.smtp.to(flooded).length === 4, PACE_WINDOW_MS * 4);
  for (const id of floodJobs) {
    const rows = await toldRows(ground, id);
    assert.deepEqual(rows.map((row) => row.ok), [true], `job ${id}`);
  }
  assert.equal(ground.smtp.to(flooded).length, 4);
});
