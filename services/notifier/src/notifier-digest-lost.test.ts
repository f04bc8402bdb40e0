/**
 * Held give-ups are told even when the digest that was to list them
 * loses its email job, or the job it was filed under, or fails before
 * it was through: nothing held waits for a next give-up, nothing is
 * told twice.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { jobIds } from '@ingest/queue';
import { keys } from '@ingest/state';
import { hashOf } from './contact-notices';
import {
  deadReceiverJobs,
  deliveryGround,
  emailRows,
  toldRows,
  type DeliveryGround,
} from './delivery-ground';
import { sleep, waitFor } from './test-support';

/** Long enough to take the digest's job away before it is due. */
const WINDOW_MS = 6_000;
let ground: DeliveryGround;

before(async () => {
  ground = await deliveryGround('digest-lost', {}, { contactWindowMs: WINDOW_MS });
});

after(async () => {
  await ground?.close();
});

/** The digest email jobs not yet run: one, as its give-ups are held. */
async function waitingDigest() {
  const found = (await ground.emails.getJobs(['delayed', 'waiting'])).filter(
    (job) => job.data.reason === 'webhook-digest',
  );
  assert.equal(found.length, 1, 'one digest waits for the window to end');
  return found[0];
}

/** Nothing more reaches `contact` for a window and a bit. */
async function nothingMore(contact: string, count: number) {
  await sleep(WINDOW_MS + 1_000);
  assert.equal(ground.smtp.to(contact).length, count, 'a give-up told twice');
}

test('a held give-up is told when its digest lost its email job', async () => {
  const contact = 'lost@example.com';
  const inbox = () => ground.smtp.to(contact);
  const { ids } = await deadReceiverJobs(ground, 2, { contact });
  const [first] = await waitFor(() => inbox().length > 0 && inbox());

  // Removed by hand (the dashboard), or never added: the notifier died
  // between holding the give-up and adding the job.
  await (await waitingDigest()).remove();

  const [, told] = await waitFor(() => inbox().length > 1 && inbox(), WINDOW_MS * 3);
  const held = ids.find((id) => first.subject !== `Job ${id}: webhook delivery failed`);
  assert.equal(told.subject, 'Webhook delivery failed for 1 job');
  assert.match(told.text ?? '', new RegExp(`^Job ${held} "main": `, 'm'));
  for (const id of ids) {
    const rows = await toldRows(ground, id);
    assert.deepEqual(rows.map((row) => row.ok), [true], `job ${id}`);
  }
  await nothingMore(contact, 2);
});

test('a digest whose first job is gone is sent, naming it', async () => {
  const contact = 'gone@example.com';
  const inbox = () => ground.smtp.to(contact);
  const { ids } = await deadReceiverJobs(ground, 3, { contact });
  await waitFor(() => inbox().length > 0);

  // The job the digest's email job is filed under no longer exists.
  const gone = (await waitingDigest()).data.jobId;
  await ground.ground.redis.del(keys.job(gone));
  const digest = await waitFor(() => inbox()[1], WINDOW_MS * 3);

  const told = digest.text ?? '';
  const kept = ids.filter((id) => id !== gone && told.includes(`Job ${id} `));
  assert.equal(kept.length, 1, 'the other held give-up is listed in detail');
  assert.equal(digest.subject, 'Webhook delivery failed for 2 jobs');
  assert.match(told, new RegExp(`^Job ${kept[0]} "main": .* failed 2 times`, 'm'));
  assert.match(told, new RegExp(`^And 1 job that no longer exists: job ${gone}\\.$`, 'm'));
  // The kept job's log shows the email; none is made for the gone one.
  assert.deepEqual((await toldRows(ground, kept[0])).map((row) => row.ok), [true]);
  assert.deepEqual(await emailRows(ground, gone), []);
  await nothingMore(contact, 2);
});

test('a digest whose job failed before it was through runs again', async () => {
  const contact = 'failed@example.com';
  const inbox = () => ground.smtp.to(contact);
  const { siteId, ids } = await deadReceiverJobs(ground, 2, { contact });
  await waitFor(() => inbox().length > 0);

  // Redis answers each of its runs with an error (a value of the wrong
  // type where the digest keeps its list) until its attempts run out.
  const digest = await waitingDigest();
  const list = keys.contactDigest(siteId, hashOf(contact), digest.data.eventId);
  await ground.ground.redis.set(list, 'not a set');
  await waitFor(() => digest.isFailed(), WINDOW_MS * 3);
  await ground.ground.redis.del(list);

  const [first, told] = await waitFor(() => inbox().length > 1 && inbox(), WINDOW_MS * 4);
  const held = ids.find((id) => first.subject !== `Job ${id}: webhook delivery failed`);
  assert.equal(told.subject, 'Webhook delivery failed for 1 job');
  assert.match(told.text ?? '', new RegExp(`^Job ${held} "main": `, 'm'));
  await nothingMore(contact, 2);
});

/**
 * Makes the waiting digest one of an earlier release: its job names no
 * site, and no batch id or due entry was kept for it (so the sweep does
 * not make it again).
 */
async function asOldDigest(siteId: number, contact: string) {
  const digest = await waitingDigest();
  const toHash = hashOf(contact);
  const due = `${siteId}:${toHash}:${digest.data.eventId.replace(/^digest-/, '')}`;
  await ground.ground.redis
    .multi()
    .del(keys.contactBatch(siteId, toHash))
    .zrem(keys.contactDue(), due)
    .hdel(keys.contactDueTo(), due)
    .exec();
  const { siteId: named, ...data } = digest.data;
  assert.equal(named, siteId);
  const delay = Math.max(0, digest.timestamp + (digest.delay ?? 0) - Date.now());
  await digest.remove();
  await ground.emails.add('email', data, { jobId: digest.id, delay });
  return data;
}

test('an old digest naming no site is sent when its first job is gone', async () => {
  const contact = 'old@example.com';
  const inbox = () => ground.smtp.to(contact);
  const { siteId } = await deadReceiverJobs(ground, 3, { contact });
  await waitFor(() => inbox().length > 0);

  const old = await asOldDigest(siteId, contact);
  await ground.ground.redis.del(keys.job(old.jobId));
  const digest = await waitFor(() => inbox()[1], WINDOW_MS * 3);
  assert.equal(digest.subject, 'Webhook delivery failed for 2 jobs');
  const gone = `^And 1 job that no longer exists: job ${old.jobId}\\.$`;
  assert.match(digest.text ?? '', new RegExp(gone, 'm'));
  await nothingMore(contact, 2);
});

test('an old digest with no site holding anything for it ends, saying why', async () => {
  const data = {
    jobId: 987_654,
    eventId: `digest-${randomUUID()}`,
    to: 'nothing-held@example.com',
    reason: 'webhook-digest' as const,
  };
  const id = jobIds.email(data.eventId, data.reason, data.to);
  await ground.emails.add('email', data, { jobId: id });
  const state = await waitFor(async () => {
    const now = await ground.emails.getJobState(id);
    return (now === 'completed' || now === 'failed') && now;
  });
  assert.equal(state, 'completed', 'not failed: nothing was left to tell');
  const said = ground.logs.find((line) => line.includes(data.eventId));
  assert.match(said ?? '', /"msg":"digest not sent"/);
  assert.match(said ?? '', /"reason":"it names no site .*no site holds give-ups/);
  assert.deepEqual(ground.smtp.to(data.to), []);
});
