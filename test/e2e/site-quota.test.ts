/**
 * INGEST_SITE_QUOTA through the whole stack, with a 2 MB quota: a tiny
 * FLAC of silence whose renditions would pass it errors
 * `quota_exceeded` at transcode and leaves no rendition behind; a site
 * under its quota publishes as before and gets its bytes back when a
 * track is deleted; a site at its quota is refused at upload (507);
 * two uploads transcoded at once, each fitting what is left and both
 * not, publish one and error the other, each run holding its share; an
 * update near the quota takes the room of the renditions it replaces,
 * and is taken at the quota when their room is more than the quota's
 * excess.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { filesOfSite, keys } from '@ingest/state';
import {
  makeTone,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';

/** 30 s of 48 kHz stereo silence: a few KB of FLAC, 5.8 MB as WAV. */
async function writeFixtures(dir: string) {
  await makeTone(path.join(dir, 'silence.flac'), {
    sampleRate: 48_000,
    channels: 2,
    seconds: 30,
    codec: 'flac',
    args: ['-af', 'volume=0'],
  });
  const tone = { sampleRate: 8000, channels: 1 };
  await makeTone(path.join(dir, 'short.flac'), { ...tone, seconds: 1, codec: 'flac' });
  await makeTone(path.join(dir, 'other.flac'), {
    ...tone,
    seconds: 2,
    codec: 'flac',
    frequency: 880,
  });
  // 2.1 MB: a source that alone takes a site past the quota.
  await makeTone(path.join(dir, 'big.wav'), { ...tone, seconds: 132 });
  // 1.1 MB: one beside a track of quiet-a's takes its site past the quota.
  await makeTone(path.join(dir, 'medium.wav'), { ...tone, seconds: 70 });
  // Silence whose WAVs take 1.1 MB each: one fits the quota, two do not.
  for (const [name, seconds] of [['quiet-a', 70], ['quiet-b', 71]] as const) {
    await makeTone(path.join(dir, `${name}.flac`), {
      ...tone,
      seconds,
      codec: 'flac',
      args: ['-af', 'volume=0'],
    });
  }
}

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: writeFixtures,
    // Two uploads of one job are transcoded at once.
    env: { INGEST_SITE_QUOTA: '2MB', TRANSCODER_CONCURRENCY: '2' },
  });
});

after(() => fixture?.close());

const call = (token: string, endpoint: string, params: Record<string, unknown>) =>
  fixture.stack.call(`/api/import/${endpoint}`, token, params);

const used = async (siteId: number) =>
  Number((await fixture.stack.redis.get(keys.siteStoredTotal(siteId))) ?? 0);

/** Every file under storage/tracks, with its size. */
async function trackFiles(): Promise<string[]> {
  const root = path.join(fixture.stack.dataDir, 'storage', 'tracks');
  const entries = await readdir(root, { recursive: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(root, String(entry));
    if ((await stat(full)).isFile()) files.push(String(entry));
  }
  return files;
}

/** Uploads `name` to the site's main job, publishes it, waits. */
async function publishOne(token: string, name: string, formats: string) {
  const upload = await call(token, 'upload', {
    url: `${fixture.files.url}/${name}`,
    formats,
  });
  assert.equal(upload.status, 200, JSON.stringify(upload.body));
  const published = await call(token, 'publish', {});
  assert.equal(published.status, 200, JSON.stringify(published.body));
  await fixture.stack.waitForJob(token, published.body.job_id);
  const list = await call(token, 'list', { job_id: published.body.job_id });
  return { ...list.body.tracks[0], job_id: published.body.job_id };
}

test('silence that expands past the quota errors quota_exceeded, no files left', async () => {
  const site = await fixture.stack.createSite();
  const row = await publishOne(site.token, 'silence.flac', 'mp3,wav,flac,aiff');

  assert.equal(row.status, 'error', JSON.stringify(row));
  assert.equal(row.error_code, 'quota_exceeded', JSON.stringify(row));
  assert.match(row.error, /INGEST_SITE_QUOTA/);
  assert.deepEqual(await trackFiles(), []);
  // Its source goes too: an errored upload is never transcoded again and
  // cannot be deleted (its job is published), so a kept source held the
  // site's quota for good, whatever it deleted.
  // Removed after the upload is marked errored: looked for until then.
  await waitUntil(async () => (await used(site.id)) === 0, {
    message: "the errored upload's source was still counted",
    timeoutMs: 30_000,
  });
  assert.deepEqual(await siteSources(site.id), []);
  // Its record says so: a recount does not look for the removed source
  // (it reported it missing, and refused a site naming only such files).
  await waitUntil(async () => (await filesOfSite(fixture.stack.redis, site.id)).size === 0, {
    message: "a recount still looks for the errored upload's source",
  });
});

/** The files under storage/sources/<site>. */
async function siteSources(siteId: number): Promise<string[]> {
  const root = path.join(fixture.stack.dataDir, 'storage', 'sources', String(siteId));
  return readdir(root).catch(() => []);
}

const sizeOf = async (name: string) =>
  (await stat(path.join(fixture.dir, name))).size;

/** The track's renditions: their sha256s and bytes in all. */
async function renditionsOf(token: string, trackId: number) {
  const { body } = await fixture.stack.call('/api/tracks/getById', token, {
    track_id: trackId,
  });
  const formats = Object.values(
    body.track.formats as Record<string, { bytes: number; sha256: string }>,
  );
  return {
    shas: formats.map((f) => f.sha256).sort().join(),
    bytes: formats.reduce((sum, f) => sum + f.bytes, 0),
  };
}

test('a site under its quota publishes; updating and deleting free all its bytes', async () => {
  const site = await fixture.stack.createSite();
  const row = await publishOne(site.token, 'short.flac', 'mp3,wav');
  assert.equal(row.status, 'published', JSON.stringify(row));
  const first = await renditionsOf(site.token, row.track_id);
  assert.equal(await used(site.id), (await sizeOf('short.flac')) + first.bytes);

  // An immediate update replaces both renditions: the old ones' bytes go.
  // Its end, not its new renditions: the track has those before the
  // update is marked published, and a delete in between leaves the
  // update's source to its run.
  const seen = await updateAndWait(site.token, row.track_id, 'other.flac');
  assert.equal(seen.status, 'published', JSON.stringify(seen));
  const now = await renditionsOf(site.token, row.track_id);
  assert.notEqual(now.shas, first.shas, 'the update was not applied');
  const sources = (await sizeOf('short.flac')) + (await sizeOf('other.flac'));
  assert.equal(await used(site.id), sources + now.bytes);

  const deleted = await fixture.stack.call('/api/tracks/delete', site.token, {
    track_id: row.track_id,
  });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  // The sources of its upload and update go with it: the site is empty.
  assert.equal(await used(site.id), 0);
  assert.deepEqual(await siteSources(site.id), []);
  // Their records stay, listed, and no recount counts them again.
  const list = await call(site.token, 'list', { job_id: row.job_id });
  assert.equal(list.status, 200, JSON.stringify(list.body));
  assert.equal(list.body.tracks[0].upload_id, row.upload_id, JSON.stringify(list.body));
  assert.deepEqual([...(await filesOfSite(fixture.stack.redis, site.id))], []);
});

test('a site at its quota is refused at upload with 507 quota_exceeded', async () => {
  const site = await fixture.stack.createSite();
  const first = await call(site.token, 'upload', {
    url: `${fixture.files.url}/big.wav`,
    formats: 'wav',
  });
  assert.equal(first.status, 200, JSON.stringify(first.body));

  const second = await call(site.token, 'upload', {
    url: `${fixture.files.url}/short.flac`,
  });
  assert.equal(second.status, 507, JSON.stringify(second.body));
  assert.equal(second.body.code, 'quota_exceeded');
  assert.match(second.body.error, /INGEST_SITE_QUOTA/);

  // Deleting the upload frees its source: the site may upload again.
  const dropped = await call(site.token, 'delete', {
    upload_id: first.body.upload_id,
  });
  assert.equal(dropped.status, 200, JSON.stringify(dropped.body));
  assert.equal(await used(site.id), 0);
  const third = await call(site.token, 'upload', {
    url: `${fixture.files.url}/short.flac`,
  });
  assert.equal(third.status, 200, JSON.stringify(third.body));
});

test('uploads transcoded at once take no more than the quota together', async () => {
  const site = await fixture.stack.createSite();
  for (const name of ['quiet-a.flac', 'quiet-b.flac']) {
    const upload = await call(site.token, 'upload', {
      url: `${fixture.files.url}/${name}`,
      formats: 'wav',
    });
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
  }
  const published = await call(site.token, 'publish', {});
  assert.equal(published.status, 200, JSON.stringify(published.body));
  await fixture.stack.waitForJob(site.token, published.body.job_id);

  const list = await call(site.token, 'list', { job_id: published.body.job_id });
  const rows = list.body.tracks as { status: string; error_code?: string }[];
  const seen = rows.map((r) => `${r.status} ${r.error_code ?? ''}`.trim()).sort();
  assert.deepEqual(seen, ['error quota_exceeded', 'published'], JSON.stringify(rows));
  const usedNow = await used(site.id);
  assert.ok(usedNow <= 2_000_000, `the site holds ${usedNow} bytes`);
  // Every hold was given back: the errored run's only once its upload
  // is marked (the job complete) and its files removed. An expired hold
  // stays until the site's next run, so a leak still ends the wait.
  await waitUntil(
    async () => (await fixture.stack.redis.hlen(keys.siteReserved(site.id))) === 0,
    { message: 'a quota hold was never given back', timeoutMs: 30_000 },
  );
});

/**
 * Sends an immediate update of the track from `name`; the update as
 * getById shows it once it is published or errored.
 */
async function updateAndWait(token: string, trackId: number, name: string, formats?: string) {
  const update = await call(token, 'upload', {
    url: `${fixture.files.url}/${name}`,
    track_id: trackId,
    formats,
    immediate: 1,
  });
  assert.equal(update.status, 200, JSON.stringify(update.body));
  const updateId = update.body.update_id;
  return waitUntil(
    async () => {
      const { body } = await fixture.stack.call('/api/tracks/getById', token, {
        track_id: trackId,
      });
      const mine = body.track.updates.find(
        (u: { update_id: number }) => u.update_id === updateId,
      );
      return ['published', 'error'].includes(mine?.status) && mine;
    },
    { message: 'the update never finished' },
  );
}

test("an update that errors gives its source's bytes back", async () => {
  const site = await fixture.stack.createSite();
  const row = await publishOne(site.token, 'short.flac', 'mp3');
  assert.equal(row.status, 'published', JSON.stringify(row));
  const before = await used(site.id);

  // Its wav would pass the quota: the update errors quota_exceeded.
  const seen = await updateAndWait(site.token, row.track_id, 'silence.flac', 'mp3,wav');
  assert.equal(seen.status, 'error', JSON.stringify(seen));
  assert.equal(seen.error_code, 'quota_exceeded', JSON.stringify(seen));
  await waitUntil(async () => (await used(site.id)) === before, {
    message: "the errored update's source was still counted",
    timeoutMs: 30_000,
  });
  // A recount finds what is counted: the update's source is not looked for.
  await waitUntil(async () => {
    const named = await filesOfSite(fixture.stack.redis, site.id);
    return [...named.values()].reduce((sum, bytes) => sum + bytes, 0) === before;
  }, { message: "a recount still looks for the errored update's source" });
});

/** A multipart upload of one of the fixtures, the token in the query. */
async function sendFile(token: string, name: string) {
  const form = new FormData();
  form.set('file', new Blob([await readFile(path.join(fixture.dir, name))]), name);
  const url = `${fixture.stack.gatewayUrl}/api/import/upload?token=${token}`;
  const res = await fetch(url, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

test('a multipart file counts as a URL does: what the site held before the call', async () => {
  const site = await fixture.stack.createSite();
  const small = await call(site.token, 'upload', { url: `${fixture.files.url}/short.flac` });
  assert.equal(small.status, 200, JSON.stringify(small.body));
  const held = await used(site.id);

  // Under the quota before it, as by URL above: taken, the site past it.
  // It was stored before the check and refused for its own bytes.
  const big = await sendFile(site.token, 'big.wav');
  assert.equal(big.status, 200, JSON.stringify(big.body));
  const past = await used(site.id);
  assert.ok(past > held);

  const refused = await sendFile(site.token, 'other.flac');
  assert.equal(refused.status, 507, JSON.stringify(refused.body));
  assert.equal(refused.body.used_bytes, past, 'its own bytes were counted');
  assert.equal(await used(site.id), past);
});

test('an update near the quota may take the bytes of what it replaces', async () => {
  const site = await fixture.stack.createSite();
  // 1.1 MB of the 2 MB quota: an update's new wav fits only in place of it.
  const row = await publishOne(site.token, 'quiet-a.flac', 'wav');
  assert.equal(row.status, 'published', JSON.stringify(row));
  const seen = await updateAndWait(site.token, row.track_id, 'quiet-a.flac', 'wav');
  assert.equal(seen.status, 'published', JSON.stringify(seen));
  const usedNow = await used(site.id);
  assert.ok(usedNow <= 2_000_000, `the site holds ${usedNow} bytes`);
  assert.equal(await fixture.stack.redis.hlen(keys.siteReserved(site.id)), 0);
});

test('a site at its quota may still replace a rendition with a smaller one', async () => {
  const site = await fixture.stack.createSite();
  const row = await publishOne(site.token, 'quiet-a.flac', 'wav');
  assert.equal(row.status, 'published', JSON.stringify(row));
  const waiting = await call(site.token, 'upload', { url: `${fixture.files.url}/medium.wav` });
  assert.equal(waiting.status, 200, JSON.stringify(waiting.body));
  const atQuota = await used(site.id);
  assert.ok(atQuota >= 2_000_000, `the site holds ${atQuota} bytes`);

  // Its 1.1 MB wav goes as the update is applied: room enough for a 1 s one.
  const seen = await updateAndWait(site.token, row.track_id, 'short.flac', 'wav');
  assert.equal(seen.status, 'published', JSON.stringify(seen));
  const usedNow = await used(site.id);
  assert.ok(usedNow < atQuota, `the site holds ${usedNow} bytes, ${atQuota} before`);
});
