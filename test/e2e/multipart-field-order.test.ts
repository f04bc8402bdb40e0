/**
 * End to end: a multipart upload may send its fields in any order
 * (SPEC §1). The token and the other fields may come after the file;
 * the file then waits in the gateway's spool, which is always emptied.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, readlink } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  makeDistinctTones,
  makeTone,
  jsonAnswer,
  startFixtureStack,
  waitUntil,
  webhookReceiver,
  type FixtureStack,
  type TestSite,
  type TestStack,
  type WebhookReceiver,
} from '@ingest/testkit';

/** INGEST_MAX_SOURCE_BYTES of the stack: the fixtures fit, `tooBig` not. */
const CAP = 512 * 1024;
const BOUNDARY = 'field-order-test-boundary';

let fixture: FixtureStack;
let dir: string;
let stack: TestStack;
let site: TestSite;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await makeDistinctTones(dir, 6);
      await makeTone(path.join(dir, 'tone-1.flac'), {
        seconds: 1.1,
        codec: 'flac',
      });
    },
    env: {
      INGEST_MAX_SOURCE_BYTES: String(CAP),
      INGEST_AUTOPUBLISH_IDLE: '5s',
    },
  });
  ({ dir, stack, site } = fixture);
});

after(() => fixture?.close());

const call = (endpoint: string, params: Record<string, unknown> = {}) =>
  stack.call(`/api/import/${endpoint}`, site.token, params);

const fixtureFile = (name: string) => readFile(path.join(dir, name));

/** Where the gateway keeps file parts that came before their token. */
const spoolDir = () => path.join(stack.dataDir, 'tmp', 'multipart-spool');
const storageTemp = () => path.join(stack.dataDir, 'storage', '.tmp');

async function filesIn(folder: string): Promise<string[]> {
  return readdir(folder).catch(() => []);
}

/** The gateway's open descriptors on spool files (gone or not). */
async function gatewayFdsInSpool(): Promise<string[]> {
  if (process.platform !== 'linux') return [];
  const gateway = stack.services.find((s) => s.name === 'gateway');
  const fdDir = `/proc/${gateway?.child.pid}/fd`;
  const fds = await readdir(fdDir);
  const targets = await Promise.all(
    fds.map((fd) => readlink(`${fdDir}/${fd}`).catch(() => '')),
  );
  return targets.filter((target) => target.startsWith(spoolDir()));
}

type Field = [name: string, value: string];

/** A multipart upload whose parts go in the order given. */
async function uploadInOrder(parts: Array<Field | Buffer>, name = 'a.wav') {
  const form = new FormData();
  for (const part of parts) {
    if (Buffer.isBuffer(part)) form.append('file', new Blob([part]), name);
    else form.append(part[0], part[1]);
  }
  const res = await fetch(`${stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    body: form,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const fieldPart = ([name, value]: Field) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n` +
  `${value}\r\n`;

/**
 * A multipart upload sent by hand: `fields`, then the head of a file
 * part and `firstBytes` of it. The test then ends the body or hangs up.
 */
function openUpload(fields: Field[], firstBytes: Buffer) {
  const req = http.request(`${stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    },
  });
  const answer = jsonAnswer(req);
  req.write(fields.map(fieldPart).join(''));
  req.write(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ` +
      'filename="held.wav"\r\nContent-Type: audio/wav\r\n\r\n',
  );
  req.write(firstBytes);
  return {
    answer,
    finish(rest: Buffer, after: Field[] = []) {
      req.end(
        Buffer.concat([
          rest,
          Buffer.from(`\r\n${after.map(fieldPart).join('')}--${BOUNDARY}--\r\n`),
        ]),
      );
      return answer;
    },
    /** More of the body, left open. */
    send: (more: string) => req.write(more),
    hangUp: () => req.destroy(),
  };
}

describe('fields after the file', () => {
  let receiver: WebhookReceiver;

  before(async () => {
    receiver = await webhookReceiver(site.secret);
  });
  after(() => receiver?.close());

  test('the token and every field after the file: taken as usual', async () => {
    const job = await call('createJob', { name: 'after the file' });
    assert.equal(job.status, 200, JSON.stringify(job.body));
    const jobId = job.body.job_id;

    const first = await uploadInOrder([
      await fixtureFile('tone-1.wav'),
      ['token', site.token],
      ['job_id', String(jobId)],
      ['meta[Title]', 'Sent after the file'],
      ['meta[Custom: External ID]', 'AF-1'],
      ['formats', 'mp3,flac'],
      ['oncomplete', receiver.url],
    ], 'tone-1.wav');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.status, 'uploaded');
    assert.deepEqual(first.body.formats, ['mp3', 'flac']);
    assert.deepEqual(first.body.sources, ['wav']);
    assert.equal(first.body.meta.Title, 'Sent after the file');
    assert.equal(first.body.meta['Custom: External ID'], 'AF-1');
    assert.equal(first.body.meta.Filename, 'tone-1.wav');
    const uploadId = first.body.upload_id;

    // `upload_id` after the file: a secondary source of that upload.
    // `autopublish` comes with it, so the job's idle time starts once both
    // sources are in, not while the second is still on its way.
    const second = await uploadInOrder([
      await fixtureFile('tone-1.flac'),
      ['upload_id', String(uploadId)],
      ['token', site.token],
      ['autopublish', '1'],
    ], 'tone-1.flac');
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.upload_id, uploadId);
    assert.deepEqual(second.body.sources.sort(), ['flac', 'wav']);

    // `autopublish` publishes the job and `oncomplete` is told.
    const [hook] = await receiver.waitFor(1, 120_000);
    assert.equal(hook.body.job_id, jobId);
    assert.deepEqual(hook.body.counts, { q: 0, i: 0, d: 1, e: 0 });
    const listed = await call('list', { job_id: jobId });
    const [row] = listed.body.tracks;
    assert.equal(row.status, 'published', JSON.stringify(row));
    assert.deepEqual(Object.keys(row.renditions).sort(), ['flac', 'mp3']);

    // `track_id` after the file: an update of the published track.
    const update = await uploadInOrder([
      await fixtureFile('tone-2.wav'),
      ['track_id', String(row.track_id)],
      ['token', site.token],
    ], 'tone-2.wav');
    assert.equal(update.status, 200, JSON.stringify(update.body));
    assert.equal(update.body.result, 'uploaded');
    assert.equal(update.body.update_to, row.track_id);
    assert.deepEqual(await filesIn(spoolDir()), []);
  });

  test('a wrong token after the file: 401, nothing kept', async () => {
    const sources = path.join(stack.dataDir, 'storage', 'sources');
    const storedBefore = await filesIn(sources);
    const refused = await uploadInOrder([
      await fixtureFile('tone-3.wav'),
      ['token', 'not-a-token-of-any-site'],
      ['meta[Title]', 'Never'],
    ]);
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'unauthorized');
    // The token was read and checked, not found missing.
    assert.match(refused.body.error, /unknown token/);
    assert.deepEqual(await filesIn(spoolDir()), []);
    // Its file was never read: its descriptor was left open (the soak).
    assert.deepEqual(await gatewayFdsInSpool(), []);
    assert.deepEqual(await filesIn(storageTemp()), []);
    assert.deepEqual(await filesIn(sources), storedBefore);
  });

  test('a file over the cap: the same refusal in either order', async () => {
    const tooBig = Buffer.alloc(CAP + 1, 7);
    const tokenFirst = await uploadInOrder([['token', site.token], tooBig]);
    const tokenAfter = await uploadInOrder([tooBig, ['token', site.token]]);
    assert.equal(tokenFirst.status, 413, JSON.stringify(tokenFirst.body));
    assert.equal(tokenFirst.body.code, 'source_too_large');
    assert.deepEqual(tokenAfter, tokenFirst);
    assert.deepEqual(await filesIn(spoolDir()), []);
    assert.deepEqual(await filesIn(storageTemp()), []);

    // Neither held on to the site's upload slot.
    const next = await uploadInOrder([
      await fixtureFile('tone-4.wav'),
      ['token', site.token],
    ]);
    assert.equal(next.status, 200, JSON.stringify(next.body));
  });
});

/**
 * Waits until the held upload's file is spooled, hangs up, and checks
 * that the spool file goes with it.
 */
async function hangUpOnceSpooled(held: { hangUp(): void }) {
  await waitUntil(async () => (await filesIn(spoolDir())).length === 1, {
    timeoutMs: 10_000,
    message: 'the file part was never spooled',
  });
  held.hangUp();
  await waitUntil(async () => (await filesIn(spoolDir())).length === 0, {
    message: 'the spool file stayed after the client hung up',
  });
}

describe('the spool', () => {
  test('a client that hangs up mid-file leaves no spool file', async () => {
    const bytes = await fixtureFile('tone-5.wav');
    const held = openUpload([], bytes.subarray(0, 64 * 1024));
    await hangUpOnceSpooled(held);

    const next = await uploadInOrder([bytes, ['token', site.token]]);
    assert.equal(next.status, 200, JSON.stringify(next.body));
  });

  test('a client that hangs up after the file leaves no spool file', async () => {
    const held = openUpload([], await fixtureFile('tone-3.wav'));
    // The whole file, then half of the token field.
    held.send(`\r\n${fieldPart(['token', site.token]).slice(0, 80)}`);
    await hangUpOnceSpooled(held);
  });

  test('a form refused after the file leaves no spool file', async () => {
    const refused = await uploadInOrder([
      await fixtureFile('tone-3.wav'),
      ['token', site.token],
      ['meta[Lyrics]', 'x'.repeat(1024 * 1024 + 1)],
    ]);
    assert.equal(refused.status, 413, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'payload_too_large');
    assert.deepEqual(await filesIn(spoolDir()), []);
  });

  test('token first: streamed into storage; a spooled upload waits its turn', async () => {
    const bytes = await fixtureFile('tone-6.wav');
    const held = openUpload(
      [['token', site.token]],
      bytes.subarray(0, 64 * 1024),
    );
    await waitUntil(async () => (await filesIn(storageTemp())).length === 1, {
      message: 'the file part did not stream into storage',
    });
    assert.deepEqual(await filesIn(spoolDir()), [], 'no copy in the spool');

    // The held upload has the site's slot: one spooled after it is refused.
    const other = await uploadInOrder([
      await fixtureFile('tone-3.wav'),
      ['token', site.token],
    ]);
    assert.equal(other.status, 429, JSON.stringify(other.body));
    assert.equal(other.body.code, 'upload_in_progress');
    assert.deepEqual(await filesIn(spoolDir()), []);

    const done = await held.finish(bytes.subarray(64 * 1024), [
      ['meta[Title]', 'Held'],
    ]);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.meta.Title, 'Held');
  });
});
