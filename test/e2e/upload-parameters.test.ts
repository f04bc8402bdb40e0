/**
 * End to end: upload parameters that cannot go together, or mean nothing
 * without another, are refused with a reason rather than dropped; the
 * call then stores nothing and fetches nothing.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeDistinctTones,
  makeTone,
  startFixtureStack,
  type FixtureStack,
} from '@ingest/testkit';

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await makeDistinctTones(dir, 3);
      await makeTone(path.join(dir, 'tagged.wav'), {
        seconds: 1,
        args: ['-metadata', 'title=From The Tag', '-metadata', 'artist=Tag Artist'],
      });
    },
    transcoders: 0,
  });
});

after(() => fixture?.close());

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  fixture.stack.call(`/api/import/${endpoint}`, fixture.site.token, params);

const url = (n: number) => `${fixture.files.url}/tone-${n}.wav`;

async function uploadsOf(jobId?: number): Promise<number> {
  const listed = await call('list', jobId ? { job_id: jobId } : {});
  return listed.body.tracks.length;
}

function assertRefused(
  answer: { status: number; body: any },
  parameters: string[],
) {
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.equal(answer.body.code, 'invalid_parameter');
  assert.deepEqual(answer.body.parameters, parameters);
}

test('url and a file together are refused, and nothing is kept', async () => {
  const form = new FormData();
  const bytes = await readFile(path.join(fixture.dir, 'tone-1.wav'));
  form.set('url', url(2));
  form.set('file', new Blob([bytes]), 'tone-1.wav');
  const res = await fetch(
    `${fixture.stack.gatewayUrl}/api/import/upload?token=${fixture.site.token}`,
    { method: 'POST', body: form },
  );
  assertRefused({ status: res.status, body: await res.json() }, ['url', 'file']);
  assert.equal(await uploadsOf(), 0);
});

test('neither url nor a file is refused, naming both', async () => {
  assertRefused(await call('upload', { formats: 'mp3' }), ['url', 'file']);
  assert.equal(await uploadsOf(), 0);
});

test('a token parameter and a Bearer header that differ are refused', async () => {
  const other = await fixture.stack.createSite();
  const res = await fetch(
    `${fixture.stack.gatewayUrl}/api/import/upload?token=${other.token}`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fixture.site.token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ url: url(3) }),
    },
  );
  const body = await res.json();
  assertRefused({ status: res.status, body }, ['token', 'Authorization']);
  assert.equal(await uploadsOf(), 0);
  // The same token both ways is one token.
  const same = await fetch(
    `${fixture.stack.gatewayUrl}/api/import/list?token=${fixture.site.token}`,
    { headers: { authorization: `Bearer ${fixture.site.token}` } },
  );
  assert.equal(same.status, 200);
});

test('format or immediate=1 without track_id are refused', async () => {
  const format = await call('upload', { url: url(1), format: 'wav' });
  assertRefused(format, ['format']);
  assert.match(format.body.error, /^format applies only to track updates: give track_id/);
  assertRefused(await call('upload', { url: url(1), immediate: 1 }), ['immediate']);
  const both = await call('upload', { url: url(1), format: 'wav', immediate: 1 });
  assertRefused(both, ['format', 'immediate']);
  assert.match(both.body.error, /^format and immediate apply only to track updates/);
  assert.equal(await uploadsOf(), 0);
  // immediate=0 asks for nothing an upload would not do.
  const plain = await call('upload', { url: url(1), immediate: 0 });
  assert.equal(plain.status, 200, JSON.stringify(plain.body));
});

test('upload_id of one job with job_id of another is refused', async () => {
  const first = await call('createJob', { name: 'a' });
  const second = await call('createJob', { name: 'b' });
  const target = await call('upload', { url: url(2), job_id: first.body.job_id });
  assert.equal(target.status, 200, JSON.stringify(target.body));

  const attach = await call('upload', {
    url: url(3),
    upload_id: target.body.upload_id,
    job_id: second.body.job_id,
  });
  assertRefused(attach, ['upload_id', 'job_id']);
  assert.match(attach.body.error, /is in job \d+, not job \d+/);
  assert.equal(await uploadsOf(second.body.job_id), 0);
  const kept = await fixture.stack.store.uploadById(target.body.upload_id);
  assert.deepEqual(Object.keys(kept?.sources ?? {}), ['wav']);
});

test('a blank meta value on upload clears the field the tags would fill', async () => {
  const uploaded = await call('upload', {
    url: `${fixture.files.url}/tagged.wav`,
    'meta[Title]': '',
    'meta[Album]': 'Given',
  });
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
  assert.equal(uploaded.body.meta.Title, undefined);
  assert.equal(uploaded.body.meta.Artist, 'Tag Artist');
  assert.equal(uploaded.body.meta.Album, 'Given');
});

test('a JSON null meta value clears a field, on upload and setMetadata', async () => {
  // A job of its own: the blank-value test above sent these bytes.
  const job = await call('createJob', { name: 'null meta' });
  const uploaded = await call('upload', {
    url: `${fixture.files.url}/tagged.wav`,
    job_id: job.body.job_id,
    meta: { Title: null, Album: 'Given', Genre: 'Ambient' },
  });
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
  assert.equal(uploaded.body.meta.Title, undefined);
  assert.equal(uploaded.body.meta.Artist, 'Tag Artist');

  const uploadId = uploaded.body.upload_id;
  const nested = await call('setMetadata', {
    upload_id: uploadId,
    meta: { Artist: null, Mood: 'Calm' },
  });
  assert.equal(nested.status, 200, JSON.stringify(nested.body));
  // A literal "meta[Name]" key with null: the same, not a key ignored.
  const literal = await call('setMetadata', {
    upload_id: uploadId,
    'meta[Album]': null,
  });
  assert.equal(literal.status, 200, JSON.stringify(literal.body));
  const { meta } = literal.body;
  assert.equal(meta.Artist, undefined);
  assert.equal(meta.Album, undefined);
  assert.equal(meta.Genre, 'Ambient');
  assert.equal(meta.Mood, 'Calm');
});

test('a track update refuses format with formats, and immediate with job_id', async () => {
  // The checks come before the track is looked up: no track is needed.
  const both = await call('upload', {
    url: url(1),
    track_id: 1,
    format: 'mp3',
    formats: 'wav',
  });
  assertRefused(both, ['format', 'formats']);
  const created = await call('createJob', { name: 'c' });
  const immediate = await call('upload', {
    url: url(1),
    track_id: 1,
    immediate: 1,
    job_id: created.body.job_id,
  });
  assertRefused(immediate, ['immediate', 'job_id']);
});

test('an immediate update refuses oncomplete, which no job would tell', async () => {
  const hooked = await call('upload', {
    url: url(1),
    track_id: 1,
    immediate: 'yes',
    oncomplete: 'ops@example.com',
  });
  assertRefused(hooked, ['immediate', 'oncomplete']);
  assert.match(hooked.body.error, /leave oncomplete out/);
  // Without immediate, the update waits in a job, which takes it: past
  // the checks, only the missing track stops it.
  const deferred = await call('upload', {
    url: url(1),
    track_id: 999_999,
    oncomplete: 'ops@example.com',
  });
  assert.equal(deferred.body.code, 'not_found', JSON.stringify(deferred.body));
});
