import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IngestClient } from '@ingest/client';
import { makeTone, startFixtureStack, type FixtureStack } from '@ingest/testkit';
import { jsonOf, runIngest } from './testing/run-ingest';

/** Fetched by URL, 1.1 MB: taken (the site held nothing), then it is full. */
async function writeFixtures(dir: string) {
  const tone = { sampleRate: 8000, channels: 1, codec: 'pcm_s16le' };
  await makeTone(path.join(dir, 'big.wav'), { ...tone, seconds: 70 });
  await mkdir(path.join(dir, 'album'));
  await makeTone(path.join(dir, 'album', 'a.wav'), { ...tone, seconds: 1 });
  await makeTone(path.join(dir, 'album', 'b.wav'), {
    ...tone,
    seconds: 1,
    frequency: 660,
  });
}

/** `ingest upload` from a site at its INGEST_SITE_QUOTA (1 MB). */
describe('ingest upload at the storage quota', { timeout: 300_000 }, () => {
  let fixture: FixtureStack;
  let env: Record<string, string>;

  before(async () => {
    fixture = await startFixtureStack({
      fixtures: writeFixtures,
      env: { INGEST_SITE_QUOTA: '1MB' },
    });
    const { stack, site, files } = fixture;
    env = { INGEST_URL: stack.gatewayUrl, INGEST_TOKEN: site.token };
    const client = new IngestClient({ url: stack.gatewayUrl, token: site.token });
    await client.upload({ url: `${files.url}/big.wav` });
  });

  after(() => fixture?.close());

  it('says the quota is full, sends no more, exits 6', async () => {
    const album = path.join(fixture.dir, 'album');
    const result = await runIngest(['upload', album, '--json'], env);

    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stderr, /a\.wav: .*INGEST_SITE_QUOTA.*\[quota_exceeded\]/);
    assert.match(result.stderr, /storage quota is full: nothing more is stored/);
    // Refused once: a retry would not free room.
    assert.doesNotMatch(result.stderr, /retrying/);
    const answer = jsonOf(result);
    assert.deepEqual(
      answer.uploads.map((u: { code?: string }) => u.code),
      ['quota_exceeded'],
    );
    // The next file would be refused the same way: not sent.
    assert.equal(answer.not_sent, 1);
  });
});
