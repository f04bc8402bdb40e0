/**
 * Fault: Redis stops answering (SIGSTOP: its connections stay open) as
 * an upload comes in, its body sent whole. The call waited for Redis
 * with no bound: a multipart one was answered 408 `request_timeout`
 * ("the request body did not arrive within 3 s", or Node's bare "did
 * not arrive in time"), as if the client had been slow, and a URL one
 * not at all; either stayed in `ingest_uploads_in_flight` until Redis
 * was back. It now answers 503 `not_ready`, saying Redis did not answer
 * and to retry, and is no longer counted; the retry is stored. A stall
 * that begins once the file is stored was answered only after the
 * call's cleanup had waited out a timeout of its own too (20 s), and the
 * site's upload slot stayed taken for good: 429 to every later upload.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { keys } from '@ingest/state';
import { makeTone, startFixtureStack, type FixtureStack } from '@ingest/testkit';
import { collectLines, waitUntil } from './fault-kit';

/** Longer than the gateway's wait for a Redis reply (10 s). */
const ANSWER_WITHIN_MS = 45_000;
const BOUNDARY = 'redis-stall-boundary';

let fixture: FixtureStack;
let stopped: number | undefined;

before(async () => {
  fixture = await startFixtureStack({
    // Small enough to arrive whole in one read: the body is all there.
    fixtures: async (dir) => {
      const tones = [['file.wav', 0.5], ['url.wav', 0.6], ['late.wav', 0.7]] as const;
      for (const [name, seconds] of tones) {
        await makeTone(path.join(dir, name), { seconds, sampleRate: 8_000, channels: 1 });
      }
    },
    transcoders: 0,
    // Shorter than the wait for Redis: a body that arrived is not late.
    env: { INGEST_FETCH_TIMEOUT: '3s' },
  });
});

after(async () => {
  if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
  await fixture?.close();
});

interface Answer {
  status: number;
  body: { code?: string; error?: string; upload_id?: number };
}

/** Sends an upload; its answer, or undefined when none comes in time. */
async function upload(init: RequestInit): Promise<Answer | undefined> {
  const url = `${fixture.stack.gatewayUrl}/api/import/upload`;
  try {
    const res = await fetch(url, {
      method: 'POST',
      ...init,
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return undefined;
    throw err;
  }
}

const head = (disposition: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; ${disposition}\r\n`;

/** The token, then the file: a multipart body up to the file's end. */
async function tokenAndFile(name = 'file.wav'): Promise<Buffer> {
  const wav = await readFile(path.join(fixture.dir, name));
  return Buffer.concat([
    Buffer.from(`${head('name="token"')}\r\n${fixture.site.token}\r\n`),
    Buffer.from(
      `${head(`name="file"; filename="${name}"`)}Content-Type: audio/wav\r\n\r\n`,
    ),
    wav,
  ]);
}

async function multipartUpload(name?: string): Promise<Answer | undefined> {
  const body = Buffer.concat([
    await tokenAndFile(name),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
  return upload({
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body,
  });
}

function urlUpload(): Promise<Answer | undefined> {
  return upload({
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token: fixture.site.token,
      url: `${fixture.files.url}/url.wav`,
    }),
  });
}

async function uploadsInFlight(): Promise<number> {
  const gateway = fixture.stack.services.find((s) => s.name === 'gateway')!;
  const res = await fetch(`http://127.0.0.1:${gateway.port}/metrics`);
  const line = (await res.text())
    .split('\n')
    .find((l) => l.startsWith('ingest_uploads_in_flight'));
  assert.ok(line, 'no ingest_uploads_in_flight');
  return Number(line.split(' ').pop());
}

/** Sends `send` while Redis is stopped; resumes Redis after its answer. */
async function whileRedisStopped(send: () => Promise<Answer | undefined>) {
  stopped = fixture.stack.redisServer.pid!;
  process.kill(stopped, 'SIGSTOP');
  try {
    const answer = await send();
    assert.ok(answer, 'no answer while Redis was stopped');
    // Counted no longer once answered, Redis still stopped.
    await waitUntil('no upload in flight', async () => (await uploadsInFlight()) === 0);
    return answer;
  } finally {
    process.kill(stopped, 'SIGCONT');
    stopped = undefined;
  }
}

function assertRedisNotAnswering(answer: Answer) {
  assert.equal(answer.status, 503, JSON.stringify(answer.body));
  assert.equal(answer.body.code, 'not_ready');
  assert.match(answer.body.error ?? '', /Redis did not answer .*retry/);
}

for (const [how, send] of [
  ['a multipart file', multipartUpload],
  ['a URL', urlUpload],
] as const) {
  test(`${how} sent whole to a stalled Redis: 503 not_ready, then stored`, async () => {
    assertRedisNotAnswering(await whileRedisStopped(send));

    // Nothing of the first call is in the way: no slot held, no upload.
    const retry = await send();
    assert.equal(retry?.status, 200, JSON.stringify(retry?.body));
    assert.equal(await uploadsInFlight(), 0);
  });
}

test('a stall once the file is stored: 503 at once, the slot freed after', async () => {
  const lines = collectLines(fixture.stack.services);
  const counted = () => fixture.stack.redis.hlen(keys.siteStored(fixture.site.id));
  const before = await counted();
  const req = http.request(`${fixture.stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  });
  const answered = new Promise<Answer>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', async (res) => {
      let text = '';
      for await (const chunk of res) text += chunk;
      resolve({ status: res.statusCode!, body: JSON.parse(text) });
    });
  });
  // The file's part ends with the next part's head; the form does not.
  req.write(await tokenAndFile('late.wav'));
  req.write(`\r\n${head('name="formats"')}\r\nmp3`);
  // Stored and counted: the call holds the site's upload slot.
  await waitUntil('the file counted', async () => (await counted()) > before);

  stopped = fixture.stack.redisServer.pid!;
  process.kill(stopped, 'SIGSTOP');
  const stalledAt = Date.now();
  let answer: Answer;
  try {
    req.end(`\r\n--${BOUNDARY}--\r\n`);
    answer = await answered;
    console.log(`# observed: answered ${Date.now() - stalledAt} ms into the stall`);
    // The cleanup (the file removed, the slot freed) still waits on Redis.
    const gaveUp = () => lines.filter((line) => line.msg === 'request cleanup failed');
    assert.deepEqual(gaveUp(), [], 'answered only once the cleanup gave up');
    await waitUntil('the cleanup to give up', () => gaveUp().length > 0);
  } finally {
    process.kill(stopped, 'SIGCONT');
    stopped = undefined;
  }
  assertRedisNotAnswering(answer);

  // What the cleanup sent before the answer ran first: the slot is free.
  const retry = await multipartUpload('late.wav');
  assert.equal(retry?.status, 200, JSON.stringify(retry?.body));
});
