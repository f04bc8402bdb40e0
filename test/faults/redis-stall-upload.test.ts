/**
 * Fault: Redis stops answering (SIGSTOP: its connections stay open) as
 * an upload comes in, its body sent whole. The call waited for Redis
 * with no bound: a multipart one was answered 408 `request_timeout`
 * ("the request body did not arrive within 3 s", or Node's bare "did
 * not arrive in time"), as if the client had been slow, and a URL one
 * not at all; either stayed in `ingest_uploads_in_flight` until Redis
 * was back. It now answers 503 `not_ready`, saying Redis did not answer
 * and to retry, and is no longer counted; the retry is stored.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeTone, startFixtureStack, type FixtureStack } from '@ingest/testkit';
import { waitUntil } from './fault-kit';

/** Longer than the gateway's wait for a Redis reply (10 s). */
const ANSWER_WITHIN_MS = 45_000;
const BOUNDARY = 'redis-stall-boundary';

let fixture: FixtureStack;
let stopped: number | undefined;

before(async () => {
  fixture = await startFixtureStack({
    // Small enough to arrive whole in one read: the body is all there.
    fixtures: async (dir) => {
      for (const [name, seconds] of [['file.wav', 0.5], ['url.wav', 0.6]] as const) {
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

async function multipartUpload(): Promise<Answer | undefined> {
  const wav = await readFile(path.join(fixture.dir, 'file.wav'));
  const head = (disposition: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; ${disposition}\r\n`;
  const body = Buffer.concat([
    Buffer.from(`${head('name="token"')}\r\n${fixture.site.token}\r\n`),
    Buffer.from(
      `${head('name="file"; filename="file.wav"')}Content-Type: audio/wav\r\n\r\n`,
    ),
    wav,
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
