/**
 * Hostile: a multipart file sent before its token is spooled by the
 * gateway, four at once at most, before anyone is authenticated. One
 * client address that opens such uploads and trickles them must not take
 * every place: it gets 503 `spool_full` past its share, and a client
 * from another address still has its file spooled and stored.
 *
 * Loopback has a whole /8: the test's "other client" connects from
 * 127.0.0.2 to the gateway on 127.0.0.1.
 *
 * A `file` part with no file name (an HTML form's empty file input)
 * counts as absent once it proves empty, so its first byte is waited
 * for. That wait comes after the checks a file part meets: before the
 * token the part is spooled (a place, the pace), after one the token is
 * checked. Waited for beforehand, a part whose bytes never came held its
 * connection for INGEST_FETCH_TIMEOUT, with no place taken and no token
 * checked.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { waitUntil, type FixtureStack } from '@ingest/testkit';
import {
  BOUNDARY,
  formField,
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

const BLANK_FILE_PART =
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ` +
  'filename=""\r\nContent-Type: application/octet-stream\r\n\r\n';

/**
 * Holds a place with an upload of `fields`, then a blank file part that
 * has begun (what may begin the closing delimiter is held back by the
 * parser) but gives not a byte; tells what became of it.
 */
function stalledBlankFile(held: OpenUpload[], fields = '') {
  const { gatewayUrl, dataDir } = fixture.stack;
  const start = `${fields}${BLANK_FILE_PART}\r\n--`;
  return holdPlace(dataDir, () => openUpload(gatewayUrl, '127.0.0.1', {}, start), held, '');
}

test('blank file parts before the token take spool places, two per address', async () => {
  const held: OpenUpload[] = [];
  try {
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) outcomes.push(await stalledBlankFile(held));
    assert.deepEqual(outcomes, ['spooled', 'spooled', '503 spool_full']);
  } finally {
    for (const upload of held) upload.hangUp();
  }
  await waitUntil(async () => (await spooled(fixture.stack.dataDir)) === 0, {
    message: 'spool files stayed after the clients hung up',
  });
});

test('a blank file part after a wrong token is refused at once', async () => {
  const held: OpenUpload[] = [];
  try {
    const token = formField('token', 'not-a-token-of-any-site-at-all');
    assert.equal(await stalledBlankFile(held, token), '401 unauthorized');
  } finally {
    for (const upload of held) upload.hangUp();
  }
});

test('a blank file part before the token still counts as absent', async () => {
  // The first test stored this tone in the main job: another job.
  const { stack, site } = fixture;
  const job = await stack.call('/api/import/createJob', site.token, {});
  // What a browser sends when the file input comes first in the form.
  const body =
    `${BLANK_FILE_PART}\r\n` +
    formField('token', site.token) +
    formField('job_id', String(job.body.job_id)) +
    formField('url', `${fixture.files.url}/tone-1.wav`) +
    `--${BOUNDARY}--\r\n`;
  const res = await fetch(`${stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body,
  });
  const answer = (await res.json()) as { meta?: Record<string, string> };
  assert.equal(res.status, 200, JSON.stringify(answer));
  assert.equal(answer.meta?.Filename, 'tone-1.wav');
});
