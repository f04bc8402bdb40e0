/**
 * End to end: a track deleted while an update of it is still being
 * fetched. The call checked the track before the first byte; the
 * update is stored only if the track still stands then, in the same
 * step, so the call answers 404 `not_found` (SPEC §1: another site's or
 * a missing id is not found) rather than an update id for a track that
 * is gone. Its source is removed, and no key of the deleted track
 * (its list of updates) is made again. The source is held
 * (`heldSource`) until the delete has answered.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { keys } from '@ingest/state';
import {
  heldSource,
  startFixtureStack,
  type FixtureStack,
} from '@ingest/testkit';
import { tone, trackCalls } from './track-kit';

let fixture: FixtureStack;
const { call, publishedTrack } = trackCalls(() => fixture);

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await tone(dir, 'one.wav', 440, { seconds: 1 });
      await tone(dir, 'two.wav', 660, { seconds: 1 });
      await tone(dir, 'new.wav', 880, { seconds: 1 });
    },
  });
});

after(() => fixture?.close());

/** The site's stored files (sources and renditions), as counted. */
async function counted(): Promise<string[]> {
  const { stack, site } = fixture;
  return Object.keys(await stack.redis.hgetall(keys.siteStored(site.id)));
}

for (const immediate of [false, true]) {
  const kind = immediate ? 'an immediate' : 'a deferred';
  test(`${kind} update of a track deleted during its fetch is not found`, async () => {
    const trackId = await publishedTrack(immediate ? 'two.wav' : 'one.wav');
    const bytes = await readFile(path.join(fixture.dir, 'new.wav'));
    const held = await heldSource(bytes, 'new.wav');
    try {
      const answer = call('upload', {
        track_id: trackId,
        url: held.url,
        ...(immediate ? { immediate: 1 } : {}),
      });
      await held.fetched;
      const deleted = await fixture.stack.call(
        '/api/tracks/delete',
        fixture.site.token,
        { track_id: trackId },
      );
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      const before = await counted();
      held.release();

      const { status, body } = await answer;
      assert.equal(status, 404, JSON.stringify(body));
      assert.equal(body.code, 'not_found');
      assert.deepEqual(await counted(), before, 'the source is not kept');
      const { redis } = fixture.stack;
      assert.equal(await redis.exists(keys.trackUpdates(trackId)), 0);
    } finally {
      await held.close();
    }
  });
}
