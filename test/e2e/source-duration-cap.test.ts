/**
 * INGEST_MAX_DURATION through the whole stack, with a 10 s cap so the
 * files stay small: a FLAC whose header says 20 s is refused at upload;
 * one whose STREAMINFO hides its length (total samples 0) is taken, then
 * errors `source_too_long` at transcode, once, with nothing published;
 * a hidden-length FLAC under the cap publishes as before.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeTone, startFixtureStack, type FixtureStack } from '@ingest/testkit';

/**
 * Sets STREAMINFO's 36-bit total samples to 0 ("unknown"), as an encoder
 * writing to a pipe leaves it: ffprobe then knows no duration.
 */
async function hideLength(file: string) {
  const bytes = await readFile(file);
  assert.equal(bytes.subarray(0, 4).toString('latin1'), 'fLaC');
  // Block header at 4, STREAMINFO from 8; total samples from bit 4 of 21.
  bytes[21] &= 0xf0;
  bytes.fill(0, 22, 26);
  await writeFile(file, bytes);
}

async function writeFixtures(dir: string) {
  const tone = { sampleRate: 8000, channels: 1, codec: 'flac' };
  await makeTone(path.join(dir, 'long.flac'), { ...tone, seconds: 20 });
  await makeTone(path.join(dir, 'hidden-long.flac'), { ...tone, seconds: 20 });
  await hideLength(path.join(dir, 'hidden-long.flac'));
  await makeTone(path.join(dir, 'hidden-short.flac'), { ...tone, seconds: 8 });
  await hideLength(path.join(dir, 'hidden-short.flac'));
}

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: writeFixtures,
    env: { INGEST_MAX_DURATION: '10s' },
  });
});

after(() => fixture?.close());

const call = (endpoint: string, params: Record<string, unknown>) =>
  fixture.stack.call(`/api/import/${endpoint}`, fixture.site.token, params);

const FORMATS = 'mp3,wav,flac,aiff';

test('a source whose header says it is too long is refused at upload', async () => {
  const { status, body } = await call('upload', {
    url: `${fixture.files.url}/long.flac`,
    formats: FORMATS,
  });
  assert.equal(status, 422, JSON.stringify(body));
  assert.equal(body.code, 'source_too_long');
  assert.match(body.error, /^source lasts 20 s, longer than the 10 s /);
  assert.match(body.error, /INGEST_MAX_DURATION/);
});

test('one that hides its length errors once at transcode; under the cap it publishes', async () => {
  const { files, stack, site } = fixture;
  const job = (await call('createJob', { name: 'hidden lengths' })).body.job_id;
  const ids: Record<string, number> = {};
  for (const name of ['hidden-long', 'hidden-short']) {
    const { status, body } = await call('upload', {
      url: `${files.url}/${name}.flac`,
      formats: FORMATS,
      job_id: job,
    });
    assert.equal(status, 200, `${name}: ${JSON.stringify(body)}`);
    ids[name] = body.upload_id;
  }

  assert.equal((await call('publish', { job_id: job })).status, 200);
  const check = await stack.waitForJob(site.token, job);
  assert.deepEqual([check.d, check.e], [1, 1]);

  const list = await call('list', { job_id: job });
  const row = (id: number) => list.body.tracks.find((t: any) => t.upload_id === id);
  const long = row(ids['hidden-long']);
  assert.equal(long.status, 'error', JSON.stringify(long));
  assert.equal(long.error_code, 'source_too_long', JSON.stringify(long));
  // Not retried: a retried failure says "after 3 attempts".
  assert.match(
    long.error,
    /^source decodes to more than 10 s, the longest renditions are made of /,
  );
  assert.equal(long.track_id ?? null, null);

  const short = row(ids['hidden-short']);
  assert.equal(short.status, 'published', JSON.stringify(short));
  const { body } = await stack.call('/api/tracks/getById', site.token, {
    track_id: short.track_id,
  });
  const formats = body.track.formats as Record<string, { duration: number }>;
  assert.deepEqual(Object.keys(formats).sort(), ['aiff', 'flac', 'mp3', 'wav']);
  for (const [format, facts] of Object.entries(formats)) {
    assert.ok(Math.abs(facts.duration - 8) < 0.06, `${format}: ${facts.duration} s`);
  }
});
