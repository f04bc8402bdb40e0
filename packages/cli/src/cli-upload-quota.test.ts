/**
 * `ingest upload` against a site at its storage quota (INGEST_SITE_QUOTA):
 * the 507 `quota_exceeded` is told at once, not retried (each retry sent
 * the file again, and a folder waited about 25 s per file before each
 * failed alike), and the files after it are not sent.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { IngestClient } from '@ingest/client';
import {
  makeDistinctTones,
  makeTone,
  startFixtureStack,
  throttleProxy,
  type FixtureStack,
  type ThrottleProxy,
} from '@ingest/testkit';
import { runIngest } from './testing/run-ingest';

let fixture: FixtureStack;
let counter: ThrottleProxy;

before(async () => {
  fixture = await startFixtureStack({
    env: { INGEST_SITE_QUOTA: '100kB' },
    fixtures: async (dir) => {
      // About 176 kB: it takes the site past its quota.
      await makeTone(path.join(dir, 'first.wav'), { seconds: 1, channels: 2 });
      await mkdir(path.join(dir, 'album'));
      await makeDistinctTones(path.join(dir, 'album'), 3);
    },
  });
  // Passes every call on at full speed; it only counts them.
  counter = await throttleProxy(fixture.stack.gatewayUrl, {
    pathPrefix: '/nothing-slowed/',
    bytesPerSecond: 1,
  });
});

after(async () => {
  await counter?.close();
  await fixture?.close();
});

it('upload: a full quota fails the first file once; the rest are not sent', async () => {
  const { site, stack, files, dir } = fixture;
  const client = new IngestClient({ url: stack.gatewayUrl, token: site.token });
  // By URL: the quota is checked before the fetch, the site then past it.
  await client.upload({ url: `${files.url}/first.wav` });

  const run = await runIngest(
    ['upload', path.join(dir, 'album'), '--json'],
    { INGEST_URL: counter.url, INGEST_TOKEN: site.token },
    { killAfterMs: 120_000 },
  );

  assert.equal(run.code, 6, run.stderr);
  const body = JSON.parse(run.stdout);
  assert.equal(body.uploads.length, 1, run.stdout);
  assert.equal(body.uploads[0].code, 'quota_exceeded');
  assert.equal(body.not_sent, 2);
  assert.equal(counter.requestsTo('/api/import/upload'), 1, 'the upload was retried');
  assert.doesNotMatch(run.stderr, /retrying/);
});
