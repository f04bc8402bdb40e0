/**
 * End to end: publish hands a job's uploads to the transcoders longest
 * source first (services/gateway/src/jobs/publisher.ts), so a job is not
 * left waiting on one long track that started last. One transcoder
 * taking one upload at a time makes the order visible in track ids,
 * which are claimed as each upload finishes.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeTone,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';

let fixture: FixtureStack;

// Upload order: short, long, medium, then an mp3 of middling length.
const SOURCES = [
  { name: 'short.wav', seconds: 1 },
  { name: 'long.wav', seconds: 6 },
  { name: 'medium.wav', seconds: 3 },
  { name: 'middling.mp3', seconds: 4, codec: 'libmp3lame' },
];

before(async () => {
  fixture = await startFixtureStack({
    env: { TRANSCODER_CONCURRENCY: '1' },
    fixtures: async (dir) => {
      for (const source of SOURCES) {
        await makeTone(path.join(dir, source.name), source);
      }
    },
  });
});

after(() => fixture?.close());

test('a job is transcoded longest source first', async () => {
  const { stack, site, files } = fixture;
  const call = (endpoint: string, params: Record<string, unknown> = {}) =>
    stack.call(`/api/import/${endpoint}`, site.token, params);

  const job = await call('createJob', { name: 'order' });
  const uploadIds: Record<string, number> = {};
  for (const source of SOURCES) {
    const { status, body } = await call('upload', {
      job_id: job.body.job_id,
      url: `${files.url}/${source.name}`,
      formats: 'mp3',
    });
    assert.equal(status, 200, JSON.stringify(body));
    uploadIds[source.name] = body.upload_id;
  }

  // The length each source declares is kept with it, as a hint.
  const long = await stack.store.uploadById(uploadIds['long.wav']);
  assert.ok(Math.abs((long?.sources.wav.seconds ?? 0) - 6) < 0.01);

  const published = await call('publish', { job_id: job.body.job_id });
  assert.equal(published.status, 200, JSON.stringify(published.body));
  await waitUntil(
    async () => (await stack.store.jobById(job.body.job_id))?.state === 'complete',
    { timeoutMs: 60_000, message: 'job did not complete' },
  );

  const tracks = new Map<number, string>();
  for (const [name, id] of Object.entries(uploadIds)) {
    const upload = await stack.store.uploadById(id);
    assert.equal(upload?.status, 'published', name);
    tracks.set(Number(upload?.trackId), name);
  }
  const byTrackId = [...tracks.entries()].sort((a, b) => a[0] - b[0]);
  assert.deepEqual(
    byTrackId.map(([, name]) => name),
    ['long.wav', 'middling.mp3', 'medium.wav', 'short.wav'],
  );
});
