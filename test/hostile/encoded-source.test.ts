/**
 * A source host that compresses whatever it is asked: the gateway asks
 * for the bytes as stored (`Accept-Encoding: identity`) and refuses a
 * gzip-encoded WAV with an answer that says so, rather than calling it
 * "not a recognised audio format". Nothing of it is kept.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  listenOnLoopback,
  makeTone,
  startFixtureStack,
  type FixtureStack,
  type LoopbackServer,
} from '@ingest/testkit';
import { assertRefused } from './hostile-calls';

let fixture: FixtureStack;
let gzipping: LoopbackServer;
const acceptEncodings: Array<string | undefined> = [];

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeTone(path.join(dir, 'song.wav'), { seconds: 1 }),
  });
  const wav = await readFile(path.join(fixture.dir, 'song.wav'));
  gzipping = await listenOnLoopback(
    http.createServer((req, res) => {
      acceptEncodings.push(req.headers['accept-encoding']);
      res
        .writeHead(200, {
          'Content-Type': 'audio/wav',
          'Content-Encoding': 'gzip',
        })
        .end(gzipSync(wav));
    }),
  );
});

after(async () => {
  await gzipping?.close();
  await fixture?.close();
});

test('a gzip-encoded source is refused, naming the encoding', async () => {
  const { stack, site, files } = fixture;
  const call = (endpoint: string, params: Record<string, unknown> = {}) =>
    stack.call(`/api/import/${endpoint}`, site.token, params);

  assertRefused(
    await call('upload', { url: `${gzipping.url}/song.wav` }),
    422,
    'fetch_failed',
    /: the source was sent gzip-encoded \(Content-Encoding: gzip\); serve it uncompressed$/,
  );
  assert.deepEqual(acceptEncodings, ['identity']);
  assert.equal((await call('checkJob')).body.q, 0, 'no upload was kept');

  // The same file served plainly is taken.
  const plain = await call('upload', { url: `${files.url}/song.wav` });
  assert.equal(plain.status, 200, JSON.stringify(plain.body));
});
