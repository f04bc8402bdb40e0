/**
 * End to end, against the real services: one upload per site fetching
 * at a time (SPEC §2 "Serial uploads"), and the standard fieldset with
 * its numbered patterns and per-site custom fields.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile, readdir } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  heldSource,
  makeDistinctTones,
  waitUntil,
  startFixtureStack,
  type FixtureStack,
  type LoopbackServer,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';

let fixture: FixtureStack;
let dir: string;
let files: LoopbackServer;
let stack: TestStack;
let site: TestSite;
let other: TestSite;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 9),
  });
  ({ dir, files, stack, site } = fixture);
  other = await stack.createSite();
});

after(() => fixture?.close());

const call = (
  who: TestSite,
  endpoint: string,
  params: Record<string, unknown> = {},
) => stack.call(`/api/import/${endpoint}`, who.token, params);

async function multipart(who: TestSite, file: string) {
  const form = new FormData();
  form.set('file', new Blob([await readFile(file)]), path.basename(file));
  const res = await fetch(
    `${stack.gatewayUrl}/api/import/upload?token=${who.token}`,
    { method: 'POST', body: form },
  );
  return { status: res.status, body: (await res.json()) as any };
}

describe('serial uploads', () => {
  test('one upload per site fetches at a time; other sites go on', async () => {
    const slow = await heldSource(await readFile(path.join(dir, 'tone-1.wav')));
    try {
      const first = call(site, 'upload', { url: slow.url });
      // An answer before the source was asked for would leave `started`
      // pending for ever; it fails the test instead.
      const early = await Promise.race([slow.fetched.then(() => {}), first]);
      assert.equal(
        early,
        undefined,
        `answered, unfetched: ${JSON.stringify(early)}`,
      );

      const second = await call(site, 'upload', {
        url: `${files.url}/tone-2.wav`,
      });
      assert.equal(second.status, 429, JSON.stringify(second.body));
      assert.equal(second.body.code, 'upload_in_progress');
      assert.ok(second.body.error);

      const file = await multipart(site, path.join(dir, 'tone-3.wav'));
      assert.equal(file.status, 429, JSON.stringify(file.body));
      assert.equal(file.body.code, 'upload_in_progress');

      const elsewhere = await call(other, 'upload', {
        url: `${files.url}/tone-4.wav`,
      });
      assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));

      slow.release();
      const done = await first;
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.status, 'uploaded');

      const again = await call(site, 'upload', {
        url: `${files.url}/tone-2.wav`,
      });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      const byFile = await multipart(site, path.join(dir, 'tone-3.wav'));
      assert.equal(byFile.status, 200, JSON.stringify(byFile.body));

      // Refused uploads made nothing: the slow one and the two after it.
      const check = await call(site, 'checkJob');
      assert.equal(check.body.q, 3);
    } finally {
      slow.release();
      await slow.close();
    }
  });

  test('a failed fetch frees the slot', async () => {
    const missing = await call(site, 'upload', {
      url: `${files.url}/missing.wav`,
    });
    assert.equal(missing.status, 422, JSON.stringify(missing.body));
    const next = await call(site, 'upload', { url: `${files.url}/tone-5.wav` });
    assert.equal(next.status, 200, JSON.stringify(next.body));
  });
});

describe('clients that hang up', () => {
  /** Uploads until the site's slot is free again; the answer it got. */
  const uploadWhenFree = (who: TestSite, name: string) =>
    waitUntil(
      async () => {
        const res = await call(who, 'upload', { url: `${files.url}/${name}` });
        return res.status === 429 ? undefined : res;
      },
      { timeoutMs: 15_000, message: 'the upload slot stayed taken' },
    );

  test('a multipart body cut short frees the slot and keeps nothing', async () => {
    const who = await stack.createSite();
    const port = new URL(stack.gatewayUrl).port;
    const boundary = 'cutshort';
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/import/upload?token=${who.token} HTTP/1.1\r\n` +
        'Host: 127.0.0.1\r\n' +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\n` +
        'Content-Length: 1000000\r\n\r\n' +
        `--${boundary}\r\n` +
        'Content-Disposition: form-data; name="file"; filename="a.wav"\r\n' +
        'Content-Type: audio/wav\r\n\r\nRIFFabcd',
    );
    // The body is being received: the site's slot is taken.
    await waitUntil(
      async () => (await call(who, 'checkJob')).status === 200 &&
        (await call(who, 'upload', { url: `${files.url}/missing.wav` }))
          .status === 429,
      { timeoutMs: 10_000, message: 'the cut upload never took the slot' },
    );
    socket.destroy();

    const next = await uploadWhenFree(who, 'tone-6.wav');
    assert.equal(next.status, 200, JSON.stringify(next.body));
    const tmp = path.join(stack.dataDir, 'storage', '.tmp');
    const left = await waitUntil(
      async () => ((await readdir(tmp).catch(() => [])).length === 0 ? [] : undefined),
      { timeoutMs: 5_000, message: 'a temp file of the cut upload stayed' },
    );
    assert.deepEqual(left, []);
  });

  test('a client gone during a URL fetch frees the slot', async () => {
    const who = await stack.createSite();
    const slow = await heldSource(await readFile(path.join(dir, 'tone-7.wav')));
    try {
      const request = http.request(
        `${stack.gatewayUrl}/api/import/upload?token=${who.token}` +
          `&url=${encodeURIComponent(slow.url)}`,
      );
      request.on('error', () => {});
      request.end();
      const answered = once(request, 'response').then(
        ([res]) => res.statusCode,
      );
      const early = await Promise.race([slow.fetched.then(() => {}), answered]);
      assert.equal(early, undefined, `answered ${early}, unfetched`);
      request.destroy();

      const next = await uploadWhenFree(who, 'tone-8.wav');
      assert.equal(next.status, 200, JSON.stringify(next.body));
      const check = await call(who, 'checkJob');
      assert.equal(check.body.q, 1, 'the abandoned upload made nothing');
    } finally {
      slow.release();
      await slow.close();
    }
  });
});

describe('the standard fieldset', () => {
  let uploadId: number;

  before(async () => {
    const { body } = await call(site, 'upload', {
      url: `${files.url}/tone-6.wav`,
      meta: { Title: 'Original' },
    });
    uploadId = body.upload_id;
  });

  test('getAvailableFields lists standard, numbered and custom fields', async () => {
    const { status, body } = await call(site, 'getAvailableFields');
    assert.equal(status, 200, JSON.stringify(body));
    for (const name of [
      'Title', 'Artist', 'Album', 'Composer', 'Catalog', 'Label',
      'Publisher', 'Genre', 'Mood', 'BPM', 'ISRC', 'ISWC', 'Track Number',
      'Release Date', 'Description', 'Lyrics', 'Filename',
      'Writer {X} First Name',
      'Publisher {X} Collection Share Percentage {Y}',
    ]) {
      assert.ok(body.fields.includes(name), `${name} is listed`);
    }
    assert.deepEqual(body.custom_fields, ['Custom: External ID']);
  });

  test('numbered patterns and custom fields are accepted', async () => {
    const meta = {
      'Writer 2 First Name': 'Ann',
      'Writer 12 Last Name': 'Lee',
      'Publisher 1 Collection Share Percentage 2': '50',
      'Custom: External ID': 'EXT-9',
    };
    const { status, body } = await call(site, 'setMetadata', {
      upload_id: uploadId,
      meta,
    });
    assert.equal(status, 200, JSON.stringify(body));
    for (const [field, value] of Object.entries(meta)) {
      assert.equal(body.meta[field], value);
    }
    assert.equal(body.meta.Title, 'Original');
  });

  test('unknown names are refused, listed, and nothing is applied', async () => {
    const offenders = [
      'Writer X First Name',
      'Writer 0 First Name',
      'Custom: Not Configured',
      'Colour',
    ];
    const meta: Record<string, string> = { Title: 'Changed' };
    for (const name of offenders) meta[name] = 'x';
    const refused = await call(site, 'setMetadata', {
      upload_id: uploadId,
      meta,
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'unknown_fields');
    assert.deepEqual([...refused.body.fields].sort(), [...offenders].sort());
    for (const name of offenders) assert.ok(refused.body.error.includes(name));

    // Names that are also JavaScript's own are fields like any other.
    const odd = await call(site, 'setMetadata', {
      upload_id: uploadId,
      meta: JSON.parse('{"__proto__": "x", "constructor": "y"}'),
    });
    assert.equal(odd.status, 400, JSON.stringify(odd.body));
    assert.equal(odd.body.code, 'unknown_fields');
    assert.deepEqual(odd.body.fields, ['__proto__', 'constructor']);

    const stored = await stack.store.uploadById(uploadId);
    assert.equal(stored?.meta.Title, 'Original');

    // Another site's custom field is not this site's.
    const theirs = await call(other, 'upload', {
      url: `${files.url}/tone-7.wav`,
      meta: { 'Custom: Mine Only': 'x' },
    });
    assert.equal(theirs.status, 400);
    assert.deepEqual(theirs.body.fields, ['Custom: Mine Only']);
  });

  test('meta is held to 256 KiB in all, also across setMetadata calls', async () => {
    const big = (letter: string) => letter.repeat(60 * 1024);
    const tooMuch = await call(site, 'setMetadata', {
      upload_id: uploadId,
      meta: { Title: big('a'), Artist: big('b'), Album: big('c'),
        Composer: big('d'), Genre: big('e') },
    });
    assert.equal(tooMuch.status, 400, JSON.stringify(tooMuch.body).slice(0, 300));
    assert.equal(tooMuch.body.code, 'invalid_parameter');
    assert.match(tooMuch.body.error, /meta holds 301 KiB in all; at most 256 KiB/);

    // Four fields fit; a fifth in a later call would pass 256 KiB.
    const fits = await call(site, 'setMetadata', {
      upload_id: uploadId,
      meta: { Album: big('c'), Composer: big('d'), Genre: big('e'),
        Mood: big('f') },
    });
    assert.equal(fits.status, 200);
    const more = await call(site, 'setMetadata', {
      upload_id: uploadId,
      meta: { Label: big('g') },
    });
    assert.equal(more.status, 400);
    assert.match(more.body.error, /at most 256 KiB/);
    const stored = await stack.store.uploadById(uploadId);
    assert.equal(stored?.meta.Label, undefined);
    assert.equal(stored?.meta.Mood?.length, 60 * 1024);

    // Clearing them makes room again.
    const cleared = await call(site, 'setMetadata', {
      upload_id: uploadId,
      meta: { Album: '', Composer: '', Genre: '', Mood: '' },
    });
    assert.equal(cleared.status, 200);
  });

  test('a blank formats counts as absent: the default formats', async () => {
    const { status, body } = await call(site, 'upload', {
      url: `${files.url}/tone-9.wav`,
      formats: ' ',
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.formats, ['mp3', 'wav']);
  });

  test('an upload with an unknown field keeps no byte', async () => {
    const before = await call(site, 'checkJob');
    const sources = path.join(
      stack.dataDir,
      'storage',
      'sources',
      String(site.id),
    );
    const stored = await readdir(sources);

    const refused = await call(site, 'upload', {
      url: `${files.url}/tone-8.wav`,
      'meta[Title]': 'Fine',
      'meta[Writer 1 Nickname]': 'nope',
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'unknown_fields');
    assert.deepEqual(refused.body.fields, ['Writer 1 Nickname']);

    const afterwards = await call(site, 'checkJob');
    assert.equal(afterwards.body.q, before.body.q);
    assert.deepEqual((await readdir(sources)).sort(), stored.sort());
  });
});
