/**
 * End to end: parameters of a shape the gateway does not take are refused
 * with a 400 naming them, the same way in every encoding (query string,
 * urlencoded form, multipart form, JSON), and the call changes nothing.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  makeDistinctTones,
  startFixtureStack,
  type FixtureStack,
} from '@ingest/testkit';

let fixture: FixtureStack;
let uploadId: number;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 1),
    transcoders: 0,
  });
  const { status, body } = await fixture.stack.call(
    '/api/import/upload',
    fixture.site.token,
    {
      url: `${fixture.files.url}/tone-1.wav`,
      meta: { Title: 'Kept' },
    },
  );
  assert.equal(status, 200, JSON.stringify(body));
  uploadId = body.upload_id;
});

after(() => fixture?.close());

const ENCODINGS = ['query', 'form', 'multipart', 'json'] as const;
type Encoding = (typeof ENCODINGS)[number];

/** Sends `pairs` to an import endpoint as one encoding would carry them. */
async function send(
  endpoint: string,
  encoding: Encoding,
  pairs: [string, string][],
): Promise<{ status: number; body: any }> {
  const url = new URL(`/api/import/${endpoint}`, fixture.stack.gatewayUrl);
  const headers: Record<string, string> = {
    authorization: `Bearer ${fixture.site.token}`,
  };
  let body: string | FormData | undefined;
  if (encoding === 'query') {
    for (const [key, value] of pairs) url.searchParams.append(key, value);
  } else if (encoding === 'form') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(pairs).toString();
  } else if (encoding === 'multipart') {
    body = new FormData();
    for (const [key, value] of pairs) body.append(key, value);
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(Object.fromEntries(pairs));
  }
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body,
  });
  return { status: res.status, body: await res.json() };
}

async function storedMeta() {
  return (await fixture.stack.store.uploadById(uploadId))?.meta;
}

describe('meta keys that are no meta[Name]', () => {
  for (const encoding of ENCODINGS) {
    test(`${encoding}: meta[Title]x and meta[Title][] are refused`, async () => {
      const id = String(uploadId);
      const trailing = await send('setMetadata', encoding, [
        ['upload_id', id],
        ['meta[Title]x', 'y'],
      ]);
      assert.equal(trailing.status, 400, JSON.stringify(trailing.body));
      assert.equal(trailing.body.code, 'invalid_parameter');
      assert.deepEqual(trailing.body.parameters, ['meta[Title]x']);

      const listed = await send('setMetadata', encoding, [
        ['upload_id', id],
        ['meta[Title][]', 'a'],
      ]);
      assert.equal(listed.status, 400, JSON.stringify(listed.body));
      assert.equal(listed.body.code, 'invalid_parameter');
      assert.match(listed.body.error, /^meta\[Title\] must be text/);
      assert.deepEqual(listed.body.parameters, ['meta[Title]']);

      assert.deepEqual(await storedMeta(), { Title: 'Kept', Filename: 'tone-1.wav' });
    });
  }
});

/** Posts a raw body to an import endpoint. */
async function post(
  endpoint: string,
  body: string | FormData,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(
    new URL(`/api/import/${endpoint}`, fixture.stack.gatewayUrl),
    {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.site.token}`, ...headers },
      body,
    },
  );
  return { status: res.status, body: await res.json() };
}

function assertNames(
  answer: { status: number; body: any },
  parameters: string[],
) {
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.equal(answer.body.code, 'invalid_parameter');
  assert.deepEqual(answer.body.parameters, parameters);
}

describe('every invalid_parameter answer has parameters', () => {
  const json = { 'content-type': 'application/json' };

  test('a body refused as a whole names none', async () => {
    assertNames(await post('checkJob', '[1,2]', json), []);
    assertNames(await post('checkJob', '{"job_id":', json), []);
    const many = Array.from({ length: 501 }, (_, i) => `k${i}=x`).join('&');
    assertNames(
      await post('checkJob', many, {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      [],
    );
    const form = new FormData();
    for (let i = 0; i < 501; i++) form.append(`k${i}`, 'x');
    assertNames(await post('checkJob', form), []);
  });

  test('a refused part of the body is named', async () => {
    assertNames(await post('checkJob', '{"meta":["x"]}', json), ['meta']);
    const twoFiles = new FormData();
    twoFiles.append('file', new Blob(['a']), 'a.wav');
    twoFiles.append('file', new Blob(['b']), 'b.wav');
    assertNames(await post('upload', twoFiles), ['file']);
    assertNames(
      await post('createJob', '{}', { ...json, 'idempotency-key': 'a b' }),
      ['Idempotency-Key'],
    );
    assertNames(
      await post('upload', JSON.stringify({ track_id: 1, upload_id: 1 }), json),
      ['track_id', 'upload_id'],
    );
  });
});

describe('content types', () => {
  const job = (type: string, body = '{"job_id":999999}') =>
    post('checkJob', body, { 'content-type': type });

  test('a media type is matched whole, its parameters and case aside', async () => {
    for (const type of [
      'application/json',
      'Application/JSON; charset=utf-8',
      ' application/json ;charset=UTF-8',
    ]) {
      const answer = await job(type);
      assert.equal(answer.status, 404, `${type}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'not_found');
    }
    const form = await job(
      'application/x-www-form-urlencoded; charset=utf-8',
      'job_id=999999',
    );
    assert.equal(form.status, 404, JSON.stringify(form.body));

    for (const [type, body] of [
      ['application/jsonx', '{"job_id":999999}'],
      ['application/json-seq', '{"job_id":999999}'],
      ['application/x-www-form-urlencodedx', 'job_id=999999'],
    ]) {
      const answer = await job(type, body);
      assert.equal(answer.status, 415, `${type}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'unsupported_media_type');
      assert.match(answer.body.error, new RegExp(`of type ${type} is not read`));
    }
  });
});

test('a JSON body may start with one byte order mark', async () => {
  const json = { 'content-type': 'application/json' };
  const bom = '\uFEFF';
  const one = await post('checkJob', `${bom}{"job_id":999999}`, json);
  assert.equal(one.status, 404, JSON.stringify(one.body));
  assert.equal(one.body.code, 'not_found');
  const bytes = Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from('{"job_id":999999}'),
  ]);
  const res = await fetch(
    new URL('/api/import/checkJob', fixture.stack.gatewayUrl),
    {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.site.token}`, ...json },
      body: bytes,
    },
  );
  assert.equal(res.status, 404, await res.text());

  const two = await post('checkJob', `${bom}${bom}{"job_id":999999}`, json);
  assertNames(two, []);
  assert.equal(two.body.error, 'body is not valid JSON');
});

test('url and oncomplete are held to 8192 characters', async () => {
  // Loopback servers of the test's own, though none is reached: the
  // refusals come before any fetch, and the job published is empty.
  const base = `${fixture.files.url}/`;
  const long = base + 'a'.repeat(8193 - base.length);
  const json = { 'content-type': 'application/json' };
  const upload = await post('upload', JSON.stringify({ url: long }), json);
  assertNames(upload, ['url']);
  assert.equal(upload.body.error, 'url must be at most 8192 characters long');
  const both = { url: `${base}tone-1.wav`, oncomplete: long };
  assertNames(await post('upload', JSON.stringify(both), json), ['oncomplete']);
  assertNames(
    await post('publish', JSON.stringify({ oncomplete: long }), json),
    ['oncomplete'],
  );

  const created = await post('createJob', '{"name":"hooked"}', json);
  const hook = long.slice(0, 8192);
  const taken = await post(
    'publish',
    JSON.stringify({ job_id: created.body.job_id, oncomplete: hook }),
    json,
  );
  // Past the parameter check: only the empty job stops it.
  assert.equal(taken.body.code, 'job_empty', JSON.stringify(taken.body));
});

test('a megabyte of unknown formats gets a short answer', async () => {
  const items = Array.from({ length: 100_000 }, (_, i) => `f${i}`);
  const body = JSON.stringify({ upload_id: uploadId, formats: items });
  assert.ok(body.length > 500_000 && body.length < 1 << 20);
  const res = await fetch(
    new URL('/api/import/setFormats', fixture.stack.gatewayUrl),
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fixture.site.token}`,
        'content-type': 'application/json',
      },
      body,
    },
  );
  const text = await res.text();
  assert.equal(res.status, 400);
  assert.ok(text.length < 1000, `${text.length} bytes`);
  const answer = JSON.parse(text);
  assert.equal(answer.code, 'invalid_format');
  assert.equal(answer.formats.length, 10);
  assert.match(answer.error, / and 99990 more$/);
});

describe('a list entry may be comma text; blank entries beside others go', () => {
  const json = { 'content-type': 'application/json' };
  const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };
  const listForm = () =>
    `upload_id=${uploadId}&formats%5B0%5D=mp3,wav&formats%5B1%5D=`;
  const listJson = () =>
    JSON.stringify({ upload_id: uploadId, formats: ['mp3,wav', ' '] });
  function listMultipart() {
    const form = new FormData();
    form.append('upload_id', String(uploadId));
    form.append('formats[]', 'mp3, WAV');
    form.append('formats[]', '');
    return form;
  }
  async function sendQuery(list: string) {
    const url = new URL('/api/import/setFormats', fixture.stack.gatewayUrl);
    url.search = `upload_id=${uploadId}&${list}`;
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${fixture.site.token}` },
    });
    return { status: res.status, body: await res.json() };
  }
  // The same items as PHP's http_build_query, a bracket form, a JSON
  // array and Python's requests (the plain key repeated) send them.
  const lists: [string, () => Promise<{ status: number; body: any }>][] = [
    ['query', () => sendQuery('formats[]=MP3,wav&formats[]=')],
    ['form', () => post('setFormats', listForm(), urlencoded)],
    ['multipart', () => post('setFormats', listMultipart())],
    ['json', () => post('setFormats', listJson(), json)],
    ['plain', () => sendQuery('formats=MP3,wav&formats=')],
  ];

  for (const [encoding, send] of lists) {
    test(`${encoding}: mp3 and wav`, async () => {
      const reset = await post(
        'setFormats',
        JSON.stringify({ upload_id: uploadId, formats: 'flac' }),
        json,
      );
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      const answer = await send();
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.track.formats, ['mp3', 'wav']);
    });
  }

  test('blank entries alone are refused, as a text of commas is', async () => {
    for (const formats of [['', ' '], ',']) {
      const body = JSON.stringify({ upload_id: uploadId, formats });
      const answer = await post('setFormats', body, json);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.code, 'invalid_format');
    }
  });
});

test('a GET with a body is read as a POST is, not ignored', async () => {
  // Read or not, a body's parameters must not be dropped: this one names
  // a job the site does not have, not its main job.
  const url = new URL('/api/import/checkJob', fixture.stack.gatewayUrl);
  const sent = [
    ['application/x-www-form-urlencoded', 'job_id=999999'],
    ['application/json', '{"job_id":999999}'],
  ];
  for (const [type, body] of sent) {
    const answer = await new Promise<{ status: number; body: any }>(
      (resolve, reject) => {
        // fetch() sends no body with a GET; a raw request does, as curl
        // -X GET -d does.
        const req = http.request(url, {
          method: 'GET',
          headers: {
            authorization: `Bearer ${fixture.site.token}`,
            'content-type': type,
            'content-length': Buffer.byteLength(body),
          },
        });
        req.on('error', reject);
        req.on('response', async (res) => {
          let text = '';
          for await (const chunk of res) text += chunk;
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        });
        req.end(body);
      },
    );
    assert.equal(answer.status, 404, `${type}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.code, 'not_found');
  }
});
