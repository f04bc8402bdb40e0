import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  mkdtemp,
  readdir,
  readlink,
  rm,
  utimes,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { ApiError } from '@ingest/core';
import { FileSpool } from './file-spool';

let root: string;
let dir: string;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'file-spool-'));
  dir = path.join(root, 'spool');
});
after(() => rm(root, { recursive: true, force: true }));

const spool = (options: { maxBytes?: number; timeoutMs?: number } = {}) =>
  new FileSpool({ dir, maxBytes: 16, timeoutMs: 5_000, ...options });
const left = () => readdir(dir).catch(() => []);

test('keeps the bytes until removed', async () => {
  const body = Readable.from([Buffer.from('0123456789')]);
  const spooled = await spool().write(body);
  assert.equal(spooled.bytes, 10);
  assert.equal(await text(spooled.open()), '0123456789');
  await spooled.remove();
  await spooled.remove();
  assert.deepEqual(await left(), []);
});

/** This process's open descriptors on files of the spool folder. */
async function openInSpool(): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  const targets = await Promise.all(
    fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  );
  return targets.filter((target) => target.startsWith(dir + path.sep));
}

test('removing closes an opened stream that was never read', {
  skip: process.platform !== 'linux' && 'reads /proc/self/fd',
}, async () => {
  // A call refused before it reads the file (a wrong token after it):
  // the soak saw the gateway keep one descriptor per such call.
  const spooled = await spool().write(Readable.from([Buffer.from('abc')]));
  await once(spooled.open(), 'open');
  assert.equal((await openInSpool()).length, 1);
  await spooled.remove();
  assert.deepEqual(await openInSpool(), []);
  assert.deepEqual(await left(), []);
});

test('past the cap: source_too_large, nothing left', async () => {
  const body = Readable.from([Buffer.alloc(10), Buffer.alloc(10)]);
  await assert.rejects(spool().write(body), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'source_too_large');
    assert.equal(err.message, 'source is larger than 16 bytes');
    return true;
  });
  assert.deepEqual(await left(), []);
});

test('a part that stalls: request_timeout, nothing left', async () => {
  const body = new PassThrough();
  body.write(Buffer.alloc(4));
  await assert.rejects(spool({ timeoutMs: 50 }).write(body), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'request_timeout');
    assert.equal(err.status, 408);
    return true;
  });
  assert.deepEqual(await left(), []);
});

test('a sweep takes only files untouched for long', async () => {
  const fresh = await spool().write(Readable.from([Buffer.from('new')]));
  const stale = path.join(dir, 'of-a-dead-gateway');
  await writeFile(stale, 'old');
  const dayAgo = new Date(Date.now() - 25 * 60 * 60 * 1000);
  await utimes(stale, dayAgo, dayAgo);

  assert.equal(await spool().sweep(24 * 60 * 60 * 1000), 1);
  assert.equal((await left()).length, 1);
  await fresh.remove();
});

test('holds only maxFiles parts at once; a removed one frees its place', async () => {
  const two = new FileSpool({ dir, maxBytes: 16, timeoutMs: 5_000, maxFiles: 2 });
  const first = await two.write(Readable.from([Buffer.from('a')]));
  const waiting = new PassThrough();
  const second = two.write(waiting);
  await assert.rejects(two.write(Readable.from([Buffer.from('c')])), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'spool_full');
    assert.equal(err.status, 503);
    return true;
  });
  waiting.end(Buffer.from('b'));
  await (await second).remove();
  const third = await two.write(Readable.from([Buffer.from('c')]));
  await first.remove();
  await third.remove();
  // A part that failed frees its place too.
  await assert.rejects(two.write(Readable.from([Buffer.alloc(20)])));
  await assert.rejects(two.write(Readable.from([Buffer.alloc(20)])));
  const last = await two.write(Readable.from([Buffer.from('d')]));
  await last.remove();
  assert.deepEqual(await left(), []);
});
