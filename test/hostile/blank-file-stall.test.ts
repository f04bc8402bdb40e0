/**
 * Hostile: a multipart `file` part with no file name (what an HTML form
 * sends for an empty file input) whose bytes never come. Such a part
 * counts as absent once it proves empty, so its first byte is waited
 * for. That wait must not come before the checks a file part meets: a
 * part before the token is spooled (one address holds two places at
 * most, each paced), and after a token the token is checked first.
 * Waited for beforehand, it held its connection for INGEST_FETCH_TIMEOUT
 * with no place taken and no token checked.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { waitUntil, type FixtureStack } from '@ingest/testkit';
import { spoolFixture, spooled, type Answer } from './file-first-upload';

const BOUNDARY = 'blank-file-stall-boundary';

let fixture: FixtureStack;

before(async () => {
  fixture = await spoolFixture();
});

after(() => fixture?.close());

/** An upload whose form holds `fields`, then a blank file part, then nothing. */
function stalledBlankFile(fields: Record<string, string> = {}) {
  const req = http.request(`${fixture.stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    localAddress: '127.0.0.1',
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
  for (const [name, value] of Object.entries(fields)) {
    req.write(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n` +
        `${value}\r\n`,
    );
  }
  req.write(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ` +
      'filename=""\r\nContent-Type: application/octet-stream\r\n\r\n' +
      // What may begin the closing delimiter: the parser holds it back,
      // so the part has begun and not a byte of it is given yet.
      '\r\n--',
  );
  return { answer, hangUp: () => req.destroy() };
}

/** `spooled`, or the answer's status and code, whichever comes first. */
async function outcome(upload: ReturnType<typeof stalledBlankFile>, spooledBefore: number) {
  const { dataDir } = fixture.stack;
  return Promise.race([
    upload.answer.then((a) => `${a.status} ${a.body.code}`),
    waitUntil(async () => (await spooled(dataDir)) > spooledBefore, {
      timeoutMs: 10_000,
      message: 'neither spooled nor answered',
    }).then(() => 'spooled'),
  ]);
}

test('blank file parts before the token take spool places, two per address', async () => {
  const held: ReturnType<typeof stalledBlankFile>[] = [];
  try {
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const before = await spooled(fixture.stack.dataDir);
      const upload = stalledBlankFile();
      held.push(upload);
      outcomes.push(await outcome(upload, before));
    }
    assert.deepEqual(outcomes, ['spooled', 'spooled', '503 spool_full']);
  } finally {
    for (const upload of held) upload.hangUp();
  }
  await waitUntil(async () => (await spooled(fixture.stack.dataDir)) === 0, {
    message: 'spool files stayed after the clients hung up',
  });
});

test('a blank file part after a wrong token is refused at once', async () => {
  const upload = stalledBlankFile({ token: 'not-a-token-of-any-site-at-all' });
  try {
    assert.equal(await outcome(upload, Infinity), '401 unauthorized');
  } finally {
    upload.hangUp();
  }
});

test('a blank file part before the token still counts as absent', async () => {
  // What a browser sends when the file input comes first in the form.
  const field = (name: string, value: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const body =
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename=""\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n\r\n' +
    field('token', fixture.site.token) +
    field('url', `${fixture.files.url}/tone-1.wav`) +
    `--${BOUNDARY}--\r\n`;
  const res = await fetch(`${fixture.stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body,
  });
  const answer = (await res.json()) as { meta?: Record<string, string> };
  assert.equal(res.status, 200, JSON.stringify(answer));
  assert.equal(answer.meta?.Filename, 'tone-1.wav');
});
