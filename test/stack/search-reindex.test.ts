/**
 * `npm run search:reindex`: tracks an earlier index left out (here taken
 * out of it, as a release that searched fewer fields would have left
 * them) are found again once the indexer has been asked anew, a site's
 * alone with `--site`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { keys, SearchIndex } from '@ingest/state';
import {
  makeTone,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
  type TestSite,
} from '@ingest/testkit';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let fixture: FixtureStack;
let first: TestSite;
let second: TestSite;

before(async () => {
  fixture = await startFixtureStack();
  first = await fixture.stack.createSite();
  second = await fixture.stack.createSite();
});

after(() => fixture?.close());

function reindex(...args: string[]) {
  return run('npm', ['run', '--silent', 'search:reindex', '--', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL: fixture.stack.redisServer.url,
      INGEST_DATA_DIR: fixture.stack.dataDir,
    },
  });
}

/** Publishes one untagged track named `name` for `site`; its id. */
async function publishOne(site: TestSite, name: string): Promise<number> {
  const { stack, dir, files } = fixture;
  await makeTone(path.join(dir, name), { seconds: 1 + name.length / 100 });
  const sent = await stack.call('/api/import/upload', site.token, {
    url: `${files.url}/${name}`,
    formats: 'mp3',
  });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const published = await stack.call('/api/import/publish', site.token);
  assert.equal(published.status, 200, JSON.stringify(published.body));
  await stack.waitForJob(site.token, published.body.job_id);
  const list = await stack.call('/api/import/list', site.token, {
    job_id: published.body.job_id,
  });
  return list.body.tracks[0].track_id;
}

async function found(site: TestSite, s: string): Promise<number[]> {
  const { status, body } = await fixture.stack.call('/api/tracks/search', site.token, { s });
  assert.equal(status, 200, JSON.stringify(body));
  return body.tracks.map((t: { track_id: number }) => t.track_id);
}

function foundAgain(site: TestSite, s: string, trackId: number) {
  return waitUntil(async () => (await found(site, s)).includes(trackId), {
    timeoutMs: 60_000,
    message: `search "${s}" never found track ${trackId}`,
  });
}

test('tracks left out of the index are found again, a site at a time', async () => {
  const mine = await publishOne(first, 'take-one.wav');
  const theirs = await publishOne(second, 'take-two.wav');
  await foundAgain(first, 'take-one', mine);
  await foundAgain(second, 'take-two', theirs);
  const search = new SearchIndex(fixture.stack.redis);
  await search.remove(mine);
  await search.remove(theirs);
  assert.deepEqual(await found(first, 'take-one'), []);

  const siteOnly = await reindex('--site', String(first.id));
  assert.match(siteOnly.stdout, new RegExp(`^queued 1 track of site ${first.id} for indexing`));
  await foundAgain(first, 'take-one', mine);
  // The other site's track was not asked for.
  assert.equal(await fixture.stack.redis.exists(keys.searchDoc(theirs)), 0);

  const all = await reindex();
  assert.match(all.stdout, /^queued 2 tracks for indexing/);
  await foundAgain(second, 'take-two', theirs);
});

test('a --site that is no site is refused in one line', async () => {
  for (const [site, message] of [
    ['x', /--site x is not a site id/],
    ['999', /there is no site 999/],
  ] as const) {
    const refused = await reindex('--site', site).then(
      () => assert.fail(`--site ${site} was taken`),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, message);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  }
});
