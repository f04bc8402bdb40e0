/**
 * End to end: a multipart upload body has INGEST_FETCH_TIMEOUT to
 * arrive, like a fetch by URL, and past it gets 408 `request_timeout`
 * (Node's own limit, 5 minutes, would cut a large upload on a slow link
 * long before a fetch would be). One that stalls past it is cut, and
 * leaves nothing behind: the site's upload slot is free again and no
 * partial file stays in storage.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeDistinctTones,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';

const BOUNDARY = 'body-timeout-boundary';
let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 1),
    transcoders: 0,
    env: { INGEST_FETCH_TIMEOUT: '2s' },
  });
});

after(() => fixture?.close());

/** Starts a multipart upload, sends the head of its file, then stalls. */
function stalledUpload(token: string) {
  const req = http.request(`${fixture.stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    },
  });
  const ended = new Promise<string>((resolve) => {
    req.on('response', async (res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      resolve(`${res.statusCode} ${Buffer.concat(chunks).toString('utf8')}`);
    });
    req.on('error', (err) => resolve(`error ${(err as Error).message}`));
  });
  req.write(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ` +
      'filename="slow.wav"\r\nContent-Type: audio/wav\r\n\r\n',
  );
  req.write(Buffer.alloc(64 * 1024, 1));
  return { ended, hangUp: () => req.destroy() };
}

test('a stalled multipart body is cut at INGEST_FETCH_TIMEOUT, leaving nothing', async () => {
  const { stack, site, files } = fixture;
  const started = Date.now();
  const upload = stalledUpload(site.token);
  try {
    const outcome = await Promise.race([
      upload.ended,
      new Promise<string>((resolve) =>
        setTimeout(() => resolve('still open'), 20_000),
      ),
    ]);
    assert.notEqual(outcome, 'still open', 'the stalled upload was never cut');
    // Answered as every API error is: JSON with a code (SPEC §1).
    assert.match(outcome, /^408 \{.*"code":"request_timeout"/);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds >= 1.5, `cut after ${seconds} s, before the limit`);
  } finally {
    upload.hangUp();
  }

  // The slot is free: the site's next upload is taken, not 429.
  const next = await waitUntil(
    async () => {
      const answer = await stack.call('/api/import/upload', site.token, {
        url: `${files.url}/tone-1.wav`,
      });
      return answer.status === 429 ? undefined : answer;
    },
    { timeoutMs: 5_000, message: 'the upload slot stayed taken' },
  );
  assert.equal(next.status, 200, JSON.stringify(next.body));
  const temp = path.join(stack.dataDir, 'storage', '.tmp');
  assert.deepEqual(await readdir(temp).catch(() => []), []);
});
