/**
 * Hostile: a multipart file sent before its token is spooled by the
 * gateway, four at once at most, before anyone is authenticated. One
 * client address that opens such uploads and trickles them must not take
 * every place: it gets 503 `spool_full` past its share, and a client
 * from another address still has its file spooled and stored.
 *
 * Loopback has a whole /8: the test's "other client" connects from
 * 127.0.0.2 to the gateway on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { waitUntil, type FixtureStack } from '@ingest/testkit';
import {
  holdPlace,
  openUpload,
  spooled,
  spoolFixture,
  type OpenUpload,
} from './file-first-upload';

let fixture: FixtureStack;

before(async () => {
  fixture = await spoolFixture();
});

after(() => fixture?.close());

test('one address trickling file-first uploads cannot take the whole spool', async () => {
  const { gatewayUrl, dataDir } = fixture.stack;
  const held: OpenUpload[] = [];
  try {
    // The attacker: four uploads from one address, each sending a little
    // of its file and then nothing; none ever sends a token. Each claims
    // another client in X-Forwarded-For, which no setting told the
    // gateway to believe (INGEST_TRUST_PROXY).
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const forged = { 'x-forwarded-for': `198.51.100.${i + 1}` };
      outcomes.push(
        await holdPlace(
          dataDir,
          () => openUpload(gatewayUrl, '127.0.0.1', forged),
          held,
        ),
      );
    }
    assert.deepEqual(outcomes, [
      'spooled',
      'spooled',
      '503 spool_full',
      '503 spool_full',
    ]);

    // Another client, from another address, still gets its place.
    const wav = await readFile(path.join(fixture.dir, 'tone-1.wav'));
    const other = openUpload(gatewayUrl, '127.0.0.2');
    other.send(wav);
    const answer = await other.finish(fixture.site.token);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  } finally {
    for (const upload of held) upload.hangUp();
  }
  await waitUntil(async () => (await spooled(dataDir)) === 0, {
    message: 'spool files stayed after the clients hung up',
  });
});
