/**
 * Fault: Redis stops answering (SIGSTOP) as an immediate track update's
 * transcode is queued. The call then tried to mark the update errored,
 * waited out a second timeout doing so, and answered 500 `internal`
 * ("nor could it be marked errored") some 20 s after it was sent. It now
 * answers 503 `not_ready` naming the update as soon as the queueing is
 * given up on; the queueing itself went to Redis, so once Redis goes on
 * the update runs and is published.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeTone, startFixtureStack, type FixtureStack } from '@ingest/testkit';
import { trackCalls } from '../e2e/track-kit';
import { waitUntil } from './fault-kit';
import { stallingGateway, type StallingGateway } from './stalling-gateway';

let fixture: FixtureStack;
// Stops Redis as the update's transcode is queued, and no sooner.
let gateway: StallingGateway;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await makeTone(path.join(dir, 'first.wav'), { seconds: 0.5 });
      await makeTone(path.join(dir, 'again.wav'), { seconds: 0.5, frequency: 880 });
    },
  });
  gateway = await stallingGateway(fixture.stack);
});

after(async () => {
  await gateway?.close();
  await fixture?.close();
});

const { upload, getTrack, publishAndWait, trackOfUpload } = trackCalls(() => fixture);

test('a stall as an immediate update is queued: 503 naming it, at once', async () => {
  const made = await upload('first.wav');
  assert.equal(made.status, 200, JSON.stringify(made.body));
  const done = await publishAndWait();
  const trackId = await trackOfUpload(done.job_id, made.body.upload_id);

  // The transcode queue's job id of an update: u<upload>-g<update>.
  gateway.stallWhen((sent) => /u\d+-g\d+/.test(sent));
  let res: Response;
  let body: { code?: string; error?: string; update_id?: number };
  const sentAt = Date.now();
  try {
    res = await fetch(`${gateway.url}/api/import/upload`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fixture.site.token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        url: `${fixture.files.url}/again.wav`,
        track_id: trackId,
        immediate: 1,
      }),
    });
    body = (await res.json()) as typeof body;
    console.log(`# observed: ${res.status} ${Date.now() - sentAt} ms after it was sent`);
  } finally {
    gateway.resume();
  }
  assert.equal(res.status, 503, JSON.stringify(body));
  assert.equal(body.code, 'not_ready');
  const updateId = body.update_id;
  assert.ok(updateId, JSON.stringify(body));
  assert.match(
    body.error ?? '',
    new RegExp(`^track update ${updateId} was stored, but Redis did not answer`),
  );

  // What was queued ran once Redis went on.
  const update = await waitUntil('the update to be published', async () => {
    const track = await getTrack(trackId);
    const found = track.updates.find((u: any) => u.update_id === updateId);
    return found?.status === 'published' && found;
  });
  assert.equal(update.status, 'published');
});
