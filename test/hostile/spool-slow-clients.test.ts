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
import { readFile, readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeDistinctTones,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';

const BOUNDARY = 'spool-slow-clients-boundary';
let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 1),
    transcoders: 0,
    // Long enough that no held upload is cut while the test runs.
    env: { INGEST_FETCH_TIMEOUT: '2m' },
  });
});

after(() => fixture?.close());

const spoolDir = () =>
  path.join(fixture.stack.dataDir, 'tmp', 'multipart-spool');
const spooled = async () => (await readdir(spoolDir()).catch(() => [])).length;

interface Answer {
  status: number;
  body: any;
}

/** A multipart upload, file before token, sent from `localAddress`. */
function openUpload(localAddress: string) {
  const req = http.request(`${fixture.stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    localAddress,
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', async (res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
    });
  });
  answer.catch(() => {});
  req.write(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ` +
      'filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n',
  );
  return {
    answer,
    send: (bytes: Buffer | string) => req.write(bytes),
    finish(token: string) {
      req.end(
        `\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; ` +
          `name="token"\r\n\r\n${token}\r\n--${BOUNDARY}--\r\n`,
      );
      return answer;
    },
    hangUp: () => req.destroy(),
  };
}

test('one address trickling file-first uploads cannot take the whole spool', async () => {
  const held: ReturnType<typeof openUpload>[] = [];
  try {
    // The attacker: four uploads from one address, each sending a little
    // of its file and then nothing; none ever sends a token.
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const before = await spooled();
      const upload = openUpload('127.0.0.1');
      held.push(upload);
      upload.send(Buffer.alloc(1024, 1));
      const outcome = await Promise.race([
        upload.answer.then((a) => `${a.status} ${a.body.code}`),
        waitUntil(async () => (await spooled()) > before, {
          timeoutMs: 10_000,
          message: 'neither spooled nor answered',
        }).then(() => 'spooled'),
      ]);
      outcomes.push(outcome);
    }
    assert.deepEqual(outcomes, [
      'spooled',
      'spooled',
      '503 spool_full',
      '503 spool_full',
    ]);

    // Another client, from another address, still gets its place.
    const wav = await readFile(path.join(fixture.dir, 'tone-1.wav'));
    const other = openUpload('127.0.0.2');
    other.send(wav);
    const answer = await other.finish(fixture.site.token);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  } finally {
    for (const upload of held) upload.hangUp();
  }
  await waitUntil(async () => (await spooled()) === 0, {
    message: 'spool files stayed after the clients hung up',
  });
});
