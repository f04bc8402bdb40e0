import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import {
  ObjectGoneError,
  ObjectTooLargeError,
  S3Storage,
  StorageUnavailableError,
  parseS3Url,
  type S3StorageOptions,
} from '@ingest/storage';
import { s3TestServer, type S3TestServer } from '@ingest/testkit';

// The S3 adapter against a real S3-compatible server (s3rver) on
// loopback. s3rver checks access key ids and presigned URL expiry, but
// not SigV4 signatures themselves: a signing bug would pass here.

const MiB = 1024 * 1024;
let server: S3TestServer;
let workDir: string;
let storage: S3Storage;

function open(extra: Partial<S3StorageOptions> = {}): S3Storage {
  return new S3Storage({
    location: parseS3Url(server.storageUrl),
    credentials: server.credentials,
    workDir,
    partSize: 5 * MiB,
    ...extra,
  });
}

/** `count` chunks of 1 MiB, generated as read: never one big buffer. */
function chunks(count: number, seed: number): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i === count) return this.push(null);
      this.push(Buffer.alloc(MiB, (seed + i++) % 251));
    },
  });
}

function sha256Of(count: number, seed: number): string {
  const hash = createHash('sha256');
  for (let i = 0; i < count; i++) hash.update(Buffer.alloc(MiB, (seed + i) % 251));
  return hash.digest('hex');
}

before(async () => {
  server = await s3TestServer();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-s3-work-'));
  storage = open();
});

after(async () => {
  await storage?.close();
  await server?.close();
  await rm(workDir, { recursive: true, force: true });
});

test('put streams, hashes and reads back whole and in ranges', async () => {
  const body = 'hello, catalog';
  const result = await storage.put('a/b.txt', Readable.from([body]));

  assert.deepEqual(result, {
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
  });
  assert.equal(await storage.size('a/b.txt'), body.length);
  assert.equal(await text(await storage.read('a/b.txt')), body);
  assert.equal(
    await text(await storage.read('a/b.txt', { start: 7, end: 13 })),
    'catalog',
  );
  assert.equal(await storage.size('a/none.txt'), undefined);
});

test('a large object goes up in parts and reads back intact', async () => {
  // 12 MiB in 5 MiB parts: three parts, the last one short.
  const result = await storage.put('big/twelve.bin', chunks(12, 7));
  assert.equal(result.bytes, 12 * MiB);
  assert.equal(result.sha256, sha256Of(12, 7));

  const stored = createHash('sha256')
    .update(await buffer(await storage.read('big/twelve.bin')))
    .digest('hex');
  assert.equal(stored, result.sha256);

  // A range across the boundary of parts 1 and 2 (chunk 4 | chunk 5).
  const across = await buffer(
    await storage.read('big/twelve.bin', {
      start: 5 * MiB - 2,
      end: 5 * MiB + 1,
    }),
  );
  assert.deepEqual([...across], [11, 11, 12, 12]);
});

test('an object over the cap is refused and leaves nothing', async () => {
  await assert.rejects(
    storage.put('cap/small.bin', Readable.from([Buffer.alloc(2048)]), 1024),
    ObjectTooLargeError,
  );
  assert.equal(await storage.size('cap/small.bin'), undefined);

  // Past the cap after a part went up: the object never appears.
  await assert.rejects(
    storage.put('cap/parts.bin', chunks(9, 1), 7 * MiB),
    (err: unknown) =>
      err instanceof ObjectTooLargeError && err.limit === 7 * MiB,
  );
  assert.equal(await storage.size('cap/parts.bin'), undefined);

  // At the cap exactly is fine.
  const exact = await storage.put('cap/exact.bin', chunks(2, 3), 2 * MiB);
  assert.equal(exact.bytes, 2 * MiB);
});

test('a source stream that fails mid-way stores nothing', async () => {
  let sent = 0;
  const failing = new Readable({
    read() {
      if (sent++ < 6) return this.push(Buffer.alloc(MiB, 1));
      this.destroy(new Error('client hung up'));
    },
  });
  await assert.rejects(storage.put('cut/short.bin', failing), /hung up/);
  assert.equal(await storage.size('cut/short.bin'), undefined);
});

test('putFile consumes the local file; delete removes the object', async () => {
  const local = path.join(workDir, 'rendition.mp3');
  const bytes = randomBytes(300_000);
  await writeFile(local, bytes);

  await storage.putFile('tracks/1/mp3.mp3', local);
  assert.equal(existsSync(local), false);
  assert.equal(await storage.size('tracks/1/mp3.mp3'), bytes.length);
  assert.deepEqual(await buffer(await storage.read('tracks/1/mp3.mp3')), bytes);

  await storage.delete('tracks/1/mp3.mp3');
  assert.equal(await storage.size('tracks/1/mp3.mp3'), undefined);
  await storage.delete('tracks/1/mp3.mp3'); // deleting again is no error
});

test('localCopy downloads into the work folder; release deletes it', async () => {
  const bytes = randomBytes(50_000);
  await storage.put('sources/1/abc', Readable.from([bytes]));

  const copy = await storage.localCopy('sources/1/abc');
  assert.ok(copy.path.startsWith(workDir + path.sep), copy.path);
  assert.deepEqual(await readFile(copy.path), bytes);

  await copy.release();
  await copy.release();
  assert.equal(existsSync(copy.path), false);
  const left = (await readdir(workDir)).filter((f) => f.startsWith('s3-copy-'));
  assert.deepEqual(left, []);

  await assert.rejects(storage.localCopy('sources/1/none'));
  const after = (await readdir(workDir)).filter((f) => f.startsWith('s3-copy-'));
  assert.deepEqual(after, [], 'a failed copy leaves no folder');
});

test('open gives size and bytes of one version; missing is undefined', async () => {
  await storage.put('open/a.wav', Readable.from(['0123456789']));
  const opened = await storage.open('open/a.wav');
  assert.ok(opened);
  assert.equal(opened.size, 10);
  assert.equal(await text(opened.stream({ start: 2, end: 5 })), '2345');
  await opened.close();
  await opened.close();

  assert.equal(await storage.open('open/none.wav'), undefined);
});

test('an object deleted or replaced after its open reads as gone', async () => {
  for (const change of ['delete', 'replace']) {
    const key = `open/${change}.wav`;
    await storage.put(key, Readable.from(['0123456789']));
    const opened = await storage.open(key);
    assert.ok(opened);
    if (change === 'delete') await storage.delete(key);
    else await storage.put(key, Readable.from(['another version']));
    await assert.rejects(text(opened.stream()), (err: Error) => {
      assert.ok(err instanceof ObjectGoneError, `${change}: ${err}`);
      assert.equal(err.key, key);
      return true;
    });
    await opened.close();
  }
});

/**
 * An HTTP front to s3rver that answers a PUT with If-None-Match: * as
 * AWS S3 and MinIO do (412 where the object is), or, with `refuse`, as
 * a server that does not know the condition (501). s3rver itself
 * ignores the header and writes over the object.
 */
async function conditionalFront(refuse = false) {
  const to = new URL(server.endpoint);
  const front = http.createServer((req, res) => {
    const forward = () => {
      const out = http.request(
        { host: to.hostname, port: to.port, path: req.url, method: req.method,
          headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(out);
    };
    if (req.method !== 'PUT' || req.headers['if-none-match'] !== '*') return forward();
    const fail = (status: number, code: string) => {
      req.resume();
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0"?><Error><Code>${code}</Code><Message>no</Message></Error>`);
    };
    if (refuse) return fail(501, 'NotImplemented');
    const { 'if-none-match': _, ...head } = { ...req.headers, 'content-length': '0' };
    http.request({ host: to.hostname, port: to.port, path: req.url, method: 'HEAD',
      headers: head }, (answer) => {
      answer.resume();
      if (answer.statusCode === 200) fail(412, 'PreconditionFailed');
      else forward();
    }).end();
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const port = (front.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const location = parseS3Url(server.storageUrl.replace(server.endpoint, endpoint));
  return {
    storage: open({ location }),
    close: () => new Promise((resolve) => front.close(resolve)),
  };
}

test('create writes a small object only where none is (If-None-Match: *)', async () => {
  const front = await conditionalFront();
  try {
    assert.equal(await front.storage.create('create/mark', 'abc\n'), true);
    assert.equal(await front.storage.create('create/mark', 'xyz\n'), false);
    assert.equal(await text(await storage.read('create/mark')), 'abc\n');
  } finally {
    await front.close();
  }
});

test('create on a server that does not know the condition: a plain write', async () => {
  const front = await conditionalFront(true);
  try {
    assert.equal(await front.storage.create('create/plain', 'abc\n'), true);
    assert.equal(await text(await storage.read('create/plain')), 'abc\n');
  } finally {
    await front.close();
  }
});

test('a presigned URL serves the object with the given headers', async () => {
  const bytes = randomBytes(4096);
  await storage.put('tracks/9/mp3.mp3', Readable.from([bytes]));

  const url = await storage.presignedUrl('tracks/9/mp3.mp3', 60, {
    contentType: 'audio/mpeg',
    contentDisposition: 'attachment; filename="9.mp3"',
  });
  assert.ok(url.startsWith(`${server.endpoint}/catalog/tracks/9/mp3.mp3?`));
  assert.match(url, /X-Amz-Signature=/);

  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'audio/mpeg');
  assert.equal(
    res.headers.get('content-disposition'),
    'attachment; filename="9.mp3"',
  );
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);

  // A name beyond ASCII (RFC 8187) goes through the signed query whole.
  const exact = `attachment; filename="Bjork.mp3"; filename*=UTF-8''Bj%C3%B6rk%20%28live%29.mp3`;
  const named = await storage.presignedUrl('tracks/9/mp3.mp3', 60, {
    contentType: 'audio/mpeg',
    contentDisposition: exact,
  });
  const renamed = await fetch(named);
  assert.equal(renamed.status, 200);
  assert.equal(renamed.headers.get('content-disposition'), exact);
  await renamed.arrayBuffer();

  const ranged = await fetch(url, { headers: { range: 'bytes=10-19' } });
  assert.equal(ranged.status, 206);
  assert.deepEqual(
    Buffer.from(await ranged.arrayBuffer()),
    bytes.subarray(10, 20),
  );

  const query = new URL(url).searchParams;
  assert.equal(query.get('X-Amz-Expires'), '60');
  assert.match(query.get('X-Amz-Credential') ?? '', /^S3RVER\/\d{8}\/us-east-1\/s3\//);
});

test('a presigned URL stops working after its lifetime', async () => {
  await storage.put('tracks/10/mp3.mp3', Readable.from(['short-lived']));
  const url = await storage.presignedUrl('tracks/10/mp3.mp3', 1);
  await sleep(2_500);
  assert.equal((await fetch(url)).status, 403);
});

test('an unknown access key is refused by the server', async () => {
  const stranger = open({
    credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'wrong' },
  });
  try {
    await assert.rejects(
      stranger.put('x/denied.txt', Readable.from(['no'])),
      // The store's fault, not the object's, and said in words to act on.
      (err: Error) =>
        err instanceof StorageUnavailableError &&
        (err.cause as Error).name === 'InvalidAccessKeyId' &&
        /check the bucket and the credentials/.test(err.message),
    );
    assert.equal(await storage.size('x/denied.txt'), undefined);
  } finally {
    await stranger.close();
  }
});

test('a key prefix in the URL keeps objects under it', async () => {
  const prefixed = new S3Storage({
    location: parseS3Url(server.storageUrl.replace('catalog?', 'catalog/env-a?')),
    credentials: server.credentials,
    workDir,
  });
  try {
    await prefixed.put('k/one.txt', Readable.from(['one']));
    assert.equal(await storage.size('env-a/k/one.txt'), 3);
    assert.equal(await storage.size('k/one.txt'), undefined);
    await assert.rejects(prefixed.put('../escape', Readable.from(['x'])), /unsafe/);
  } finally {
    await prefixed.close();
  }
});

test('ready while the server answers (a missing key included), not after', async () => {
  const own = await s3TestServer('ready-check');
  const store = new S3Storage({
    location: parseS3Url(own.storageUrl),
    credentials: own.credentials,
    workDir,
  });
  try {
    assert.deepEqual(await store.ready(), { ready: true });
    await own.close();
    const readiness = await store.ready();
    assert.equal(readiness.ready, false);
    // A closed port refuses at once: the check says so, not a timeout.
    assert.match(readiness.reason ?? '', /^storage unreachable: .*ECONNREFUSED/);
  } finally {
    await store.close();
    await own.close();
  }
});
