import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { ApiError } from '@ingest/core';
import {
  listenOnLoopback,
  makeTone,
  type LoopbackServer,
} from '@ingest/testkit';
import { contentEncodingOf } from '../http/content-coding';
import { urlFetcher } from './url-fetcher';

let dir: string;
let wav: Buffer;
let server: LoopbackServer;
/** Accept-Encoding of each request, by path. */
const asked = new Map<string, string | undefined>();

/** A source host that compresses some paths whatever it is asked. */
const ENCODED: Record<string, [string, (bytes: Buffer) => Buffer]> = {
  '/gzip.wav': ['gzip', gzipSync],
  '/br.wav': ['br', brotliCompressSync],
  '/deflate.wav': ['deflate', deflateSync],
  '/twice.wav': ['deflate, gzip', (b) => gzipSync(deflateSync(b))],
};

/** Redirects a server may answer that no fetch follows. */
const REDIRECTS: Record<string, string> = {
  '/to-ftp.wav': 'ftp://127.0.0.1/a.wav',
  '/to-file.wav': 'file:///etc/passwd',
  '/to-data.wav': 'data:audio/wav;base64,UklGRg==',
  '/to-credentials.wav': 'http://user:secret@127.0.0.1/a.wav',
  '/to-nothing.wav': 'http://[::1',
};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-url-fetcher-'));
  wav = await readFile(
    await makeTone(path.join(dir, 'tone.wav'), { seconds: 1 }),
  );
  server = await listenOnLoopback(
    http.createServer((req, res) => {
      const { pathname, searchParams } = new URL(req.url ?? '/', 'http://x');
      const location = REDIRECTS[pathname];
      if (location) {
        res.writeHead(302, { location }).end();
        return;
      }
      asked.set(pathname, req.headers['accept-encoding']);
      const encoded = ENCODED[pathname];
      const headers: http.OutgoingHttpHeaders = {
        'content-type': searchParams.get('type') ?? 'audio/wav',
      };
      if (pathname === '/identity.wav') headers['content-encoding'] = 'identity';
      if (encoded) headers['content-encoding'] = encoded[0];
      res.writeHead(200, headers).end(encoded ? encoded[1](wav) : wav);
    }),
  );
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const fetchSource = urlFetcher({
  timeoutMs: 10_000,
  maxRedirects: 2,
  maxBytes: 10_000_000,
  allowPrivate: true,
});

test('a source is asked for and taken as it is stored', async () => {
  for (const name of ['/plain.wav', '/identity.wav']) {
    const { body, url } = await fetchSource(`${server.url}${name}`);
    assert.deepEqual(await buffer(body), wav, name);
    assert.equal(url, `${server.url}${name}`);
    assert.equal(asked.get(name), 'identity', name);
  }
});

test('containers that hold audio are taken under their video labels', async () => {
  // What web servers send for .webm and .mka/.mkv (nginx and Apache).
  for (const type of ['video/webm', 'video/x-matroska', 'video/mp4', 'audio/webm']) {
    const url = `${server.url}/labelled.webm?type=${encodeURIComponent(type)}`;
    const { body } = await fetchSource(url);
    assert.deepEqual(await buffer(body), wav, type);
  }
  await assert.rejects(fetchSource(`${server.url}/page.wav?type=text%2Fhtml`), {
    code: 'not_audio',
    message: 'source is not audio: the server sent text/html',
  });
});

test('a compressed source is refused, naming its encoding', async () => {
  for (const [name, [encoding]] of Object.entries(ENCODED)) {
    await assert.rejects(fetchSource(`${server.url}${name}`), (err) => {
      assert.ok(err instanceof ApiError, String(err));
      assert.equal(err.code, 'fetch_failed');
      assert.equal(err.status, 422);
      assert.ok(
        err.message.includes(`(Content-Encoding: ${encoding}); serve it uncompressed`),
        err.message,
      );
      assert.deepEqual(err.details, { content_encoding: encoding });
      return true;
    });
    assert.equal(asked.get(name), 'identity', name);
  }
  await assert.rejects(fetchSource(`${server.url}/gzip.wav`), {
    message:
      'source could not be fetched: the source was sent gzip-encoded ' +
      '(Content-Encoding: gzip); serve it uncompressed',
  });
});

test('Content-Encoding values: identity and blanks are no encoding', () => {
  assert.equal(contentEncodingOf(undefined), undefined);
  assert.equal(contentEncodingOf(''), undefined);
  assert.equal(contentEncodingOf('Identity'), undefined);
  assert.equal(contentEncodingOf('GZIP'), 'gzip');
  assert.equal(contentEncodingOf('identity, br'), 'br');
  assert.equal(contentEncodingOf(['gzip', 'br']), 'gzip, br');
});

test('a url that is no http(s) URL names url in parameters', async () => {
  for (const url of ['not a url', 'ftp://127.0.0.1/a.wav']) {
    await assert.rejects(fetchSource(url), (err) => {
      assert.ok(err instanceof ApiError, String(err));
      assert.equal(err.code, 'invalid_parameter', url);
      assert.deepEqual(err.details, { parameters: ['url'] }, url);
      return true;
    });
  }
});

test("a redirect no fetch follows is the server's failure, not the caller's", async () => {
  for (const name of Object.keys(REDIRECTS)) {
    await assert.rejects(fetchSource(`${server.url}${name}`), (err) => {
      assert.ok(err instanceof ApiError, String(err));
      // The caller's url was fine: not 400 invalid_parameter.
      assert.equal(err.code, 'fetch_failed', `${name}: ${err.message}`);
      assert.equal(err.status, 422);
      assert.match(err.message, /^source could not be fetched: redirect /);
      assert.ok(!err.message.includes('secret'), err.message);
      return true;
    });
  }
  // A url of the caller's that is no http URL stays the caller's fault.
  await assert.rejects(fetchSource('ftp://127.0.0.1/a.wav'), {
    code: 'invalid_parameter',
  });
});
