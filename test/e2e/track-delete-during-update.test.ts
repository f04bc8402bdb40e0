/**
 * End to end: a track deleted while an immediate update of it transcodes.
 * The update errors `track_missing`, and nothing of the track stays in
 * file storage, not even its `tracks/<id>/` folder, nor its sources. ffmpeg is wrapped so
 * that the update's transcode waits for the test's word.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { keys, SOURCES_REMOVED, UpdateStore } from '@ingest/state';
import {
  ffmpegWrapper,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';
import { HZ, tone, trackCalls } from './track-kit';

let fixture: FixtureStack;
let wrapperDir: string;
/** Holds a path; an ffmpeg run whose arguments name it is held. */
let heldFile: string;
/** Made by the wrapper once the held run has started. */
let startedFile: string;
/** Made by the test to let the held run go on. */
let goFile: string;

before(async () => {
  wrapperDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-held-'));
  heldFile = path.join(wrapperDir, 'held-source');
  startedFile = path.join(wrapperDir, 'started');
  goFile = path.join(wrapperDir, 'go');
  await writeFile(heldFile, '');
  const wrapper = await ffmpegWrapper(path.join(wrapperDir, 'ffmpeg'), [
    `held=$(cat '${heldFile}')`,
    'if [ -n "$held" ]; then',
    '  case "$*" in *"$held"*)',
    `    touch '${startedFile}'`,
    `    while [ ! -e '${goFile}' ]; do sleep 0.1; done ;;`,
    '  esac',
    'fi',
  ]);
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await tone(dir, 'first.wav', HZ.orderBase);
      await tone(dir, 'second.wav', HZ.orderFast);
    },
    env: { FFMPEG_PATH: wrapper },
  });
});

after(async () => {
  // A held run must not outlive a failed test.
  if (goFile) await writeFile(goFile, '').catch(() => {});
  await fixture?.close();
  if (wrapperDir) await rm(wrapperDir, { recursive: true, force: true });
});

const { upload, publishAndWait, trackOfUpload } = trackCalls(() => fixture);

test('a track deleted mid-update leaves no folder behind', async () => {
  const { stack, site } = fixture;
  const first = await upload('first.wav', { formats: 'mp3,wav' });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const done = await publishAndWait();
  const trackId = await trackOfUpload(done.job_id, first.body.upload_id);
  const folder = path.join(stack.dataDir, 'storage', 'tracks', String(trackId));
  assert.ok(existsSync(folder), 'the track has its folder');

  // Set before the update is sent: an immediate one transcodes at once,
  // and its ffmpeg may start before the test could name the source.
  // Every transcode is done; the next run writing into a transcoder's
  // work folder is the update's (the gateway's own runs work elsewhere).
  await writeFile(heldFile, path.join(stack.dataDir, 'work', 'transcoder-'));
  const sent = await upload('second.wav', { track_id: trackId, immediate: 1 });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const updates = new UpdateStore(stack.redis);
  await waitUntil(async () => existsSync(startedFile), {
    message: () => 'the update never started transcoding',
  });

  const deleted = await stack.call('/api/tracks/delete', site.token, {
    track_id: trackId,
  });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  await writeFile(goFile, '');

  const failed = await waitUntil(async () => {
    const now = await updates.byId(sent.body.update_id);
    return now?.status === 'error' && now;
  });
  assert.equal(failed.errorCode, 'track_missing');
  assert.equal(existsSync(folder), false, `${folder} is gone`);
  // Nor its sources: the upload's (by the delete) and the update's (by
  // its error); the site counts none of its files. The error is written
  // before the update's sources go: wait for their removal to be noted.
  await waitUntil(() => stack.redis.hget(keys.update(failed.id), SOURCES_REMOVED), {
    message: "the errored update's sources were never removed",
  });
  const sources = path.join(stack.dataDir, 'storage', 'sources', String(site.id));
  assert.deepEqual(await readdir(sources).catch(() => []), []);
  assert.equal(Number(await stack.redis.get(keys.siteStoredTotal(site.id))), 0);
});
