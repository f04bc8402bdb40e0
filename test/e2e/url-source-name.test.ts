/**
 * End to end: a source fetched by URL is named after the file fetched,
 * the last URL of its redirect chain, not the URL the client sent (a
 * download link that redirects to the file). That name is the upload's
 * `Filename` and the stem secondary sources are matched on. A name too
 * long to keep whole is cut in its stem, so it keeps its extension.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  listenOnLoopback,
  makeTone,
  startFixtureStack,
  type FixtureStack,
  type LoopbackServer,
} from '@ingest/testkit';

let fixture: FixtureStack;
/** Download links: each path redirects to the next hop or a file. */
let links: LoopbackServer;

/** Where each link path sends its client, relative to the file server. */
const HOPS: Record<string, (files: string) => string> = {
  '/download/first.wav': () => `${links.url}/mirror/middle.wav`,
  '/mirror/middle.wav': (files) => `${files}/tone-1.wav`,
  '/get': (files) => `${files}/song.flac`,
  '/named/by-link.wav': () => `${links.url}/?id=2`,
};

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await makeTone(path.join(dir, 'tone-1.wav'), { seconds: 1.1 });
      await makeTone(path.join(dir, 'tone-2.wav'), { seconds: 1.2 });
      await makeTone(path.join(dir, 'song.wav'), { seconds: 1.3 });
      await makeTone(path.join(dir, 'song.flac'), { seconds: 1.3 });
      await makeTone(path.join(dir, 'long.wav'), { seconds: 1.4 });
      await makeTone(path.join(dir, 'long.flac'), { seconds: 1.4, codec: 'flac' });
    },
    transcoders: 0,
  });
  links = await listenOnLoopback(
    http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname.startsWith('/long/')) {
        res.writeHead(200, { 'content-type': 'audio/flac' });
        createReadStream(path.join(fixture.dir, 'long.flac')).pipe(res);
        return;
      }
      const hop = HOPS[url.pathname];
      if (hop) {
        res.writeHead(302, { location: hop(fixture.files.url) }).end();
        return;
      }
      // A URL that names no file: `/?id=2` serves tone-2.wav.
      const id = url.searchParams.get('id');
      if (url.pathname !== '/' || !id) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'audio/wav' });
      createReadStream(path.join(fixture.dir, `tone-${id}.wav`)).pipe(res);
    }),
  );
});

after(async () => {
  await links?.close();
  await fixture?.close();
});

const upload = (params: Record<string, unknown>) =>
  fixture.stack.call('/api/import/upload', fixture.site.token, params);

test('Filename is the last URL of the redirect chain', async () => {
  const answer = await upload({ url: `${links.url}/download/first.wav` });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.meta.Filename, 'tone-1.wav');
});

test('a last URL that names no file keeps the name of the URL sent', async () => {
  const answer = await upload({ url: `${links.url}/named/by-link.wav` });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.meta.Filename, 'by-link.wav');
});

test('a redirected source attaches by the name of the file fetched', async () => {
  const first = await upload({ url: `${fixture.files.url}/song.wav` });
  assert.equal(first.status, 200, JSON.stringify(first.body));

  const second = await upload({ url: `${links.url}/get` });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.equal(second.body.upload_id, first.body.upload_id);
  assert.deepEqual(second.body.sources.sort(), ['flac', 'wav']);
});

test('a 15 KB file name keeps its extension, and its flac attaches by URL', async () => {
  const stem = 'Long Take '.repeat(1500);
  const form = new FormData();
  form.set('token', fixture.site.token);
  const wav = await readFile(path.join(fixture.dir, 'long.wav'));
  form.set('file', new Blob([wav]), `${stem}.wav`);
  const res = await fetch(`${fixture.stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    body: form,
  });
  const first = (await res.json()) as any;
  assert.equal(res.status, 200, JSON.stringify(first));
  assert.equal(first.meta.Filename, `${stem.slice(0, 239)}.wav`);

  // The same name, another extension, from a URL: cut to the same stem.
  const second = await upload({
    url: `${links.url}/long/${encodeURIComponent(stem.slice(0, 5000))}.flac`,
  });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.equal(second.body.upload_id, first.upload_id);
  assert.deepEqual(second.body.sources.sort(), ['flac', 'wav']);
});
