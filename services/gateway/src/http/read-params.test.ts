import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ApiError } from '@ingest/core';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';
import { readParams } from './read-params';

let server: LoopbackServer;

before(async () => {
  // Answers the meta it read, or the refusal's body.
  server = await listenOnLoopback(
    http.createServer((req, res) => {
      readParams(req, { maxBodyBytes: 1 << 16 }).then(
        (params) => res.end(JSON.stringify({ meta: params.meta })),
        (err: unknown) => {
          res.statusCode = err instanceof ApiError ? err.status : 500;
          res.end(JSON.stringify(err instanceof ApiError ? err.toBody() : String(err)));
        },
      );
    }),
  );
});

after(() => server?.close());

/** POSTs `body` as it is written: JSON.stringify cannot write 1e-400. */
async function post(body: string, type = 'application/json') {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('a meta number in a JSON body', () => {
  test('that JSON reads as other digits is refused, naming the field', async () => {
    const cases: Array<[string, string, string]> = [
      ['{"meta":{"BPM":1e-400}}', 'meta[BPM]', '1e-400 reads as 0'],
      ['{"meta":{"Tempo":-2.5e-330}}', 'meta[Tempo]', '-2.5e-330 reads as 0'],
      [
        '{"meta":{"Catalog":12345678901234567890}}',
        'meta[Catalog]',
        '12345678901234567890 reads as 12345678901234567000',
      ],
      [
        '{"meta":{"BPM":120.00000000000000001}}',
        'meta[BPM]',
        '120.00000000000000001 reads as 120',
      ],
      ['{"meta[ISRC]":0.30000000000000000001}', 'meta[ISRC]', 'reads as 0.3'],
      ['{"job_id":1,"meta":{"Title":"x","BPM":1E+400}}', 'meta[BPM]', 'reads as Infinity'],
    ];
    for (const [body, name, reading] of cases) {
      const answer = await post(body);
      assert.equal(answer.status, 400, `${body}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'invalid_parameter', body);
      assert.deepEqual(answer.body.parameters, [name], body);
      assert.ok(answer.body.error.startsWith(`${name} is a JSON number`), body);
      assert.ok(answer.body.error.includes(reading), `${body}: ${answer.body.error}`);
      assert.match(answer.body.error, /send it as a string$/);
    }
  });

  test('that JSON reads exactly is kept as its digits', async () => {
    const answer = await post(
      '{"meta":{"BPM":120.0,"Tempo":92.50,"Track Number":1e1,' +
        '"Catalog":"1e-400","Mood":-0,"Version":5e-324,' +
        // The double nearest 92.3 as PHP (serialize_precision = 17) sends it.
        '"Key":92.299999999999997},"other":1e-400}',
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.meta, {
      BPM: '120',
      Tempo: '92.5',
      'Track Number': '10',
      Catalog: '1e-400',
      Mood: '0',
      Version: '5e-324',
      Key: '92.3',
    });
  });
});

describe('a JSON object sent as a form', () => {
  /** POSTs `body` with the type `curl -d` gives it. */
  const postForm = (body: string) => post(body, 'application/x-www-form-urlencoded');

  test('is refused, saying which Content-Type to send', async () => {
    for (const body of [
      '{"oncomplete":"http://127.0.0.1:9999/hook"}',
      ' {"url":"http://127.0.0.1:8765/a.wav?x=1","meta":{"Title":"T"}}\n',
    ]) {
      const answer = await postForm(body);
      assert.equal(answer.status, 400, body);
      assert.equal(answer.body.code, 'invalid_parameter', body);
      assert.deepEqual(answer.body.parameters, [], body);
      assert.match(answer.body.error, /send it with Content-Type: application\/json$/);
    }
  });

  test('leaves forms that only look like it alone', async () => {
    for (const body of ['meta[Title]={x}', '{not json}=1', 'meta%5BTitle%5D=%7B%7D']) {
      const answer = await postForm(body);
      assert.equal(answer.status, 200, `${body}: ${JSON.stringify(answer.body)}`);
    }
  });
});

test('a compressed body is refused, naming its coding, not read as text', async () => {
  const json = '{"meta":{"Title":"x"}}';
  const bodies: Array<[string, string | Buffer]> = [
    ['application/json', gzipSync(json)],
    ['application/json', json],
    ['application/x-www-form-urlencoded', gzipSync('meta[Title]=x')],
  ];
  for (const [type, body] of bodies) {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': type, 'content-encoding': 'gzip' },
      body,
    });
    assert.equal(res.status, 415, type);
    assert.deepEqual(await res.json(), {
      error:
        'the request body is sent with Content-Encoding: gzip, ' +
        'which the API does not read: send it uncompressed',
      code: 'unsupported_media_type',
      content_encoding: 'gzip',
    });
  }
  // identity is no coding, and a bodyless call is not refused for one.
  for (const [encoding, body] of [['identity', json], ['gzip', '']]) {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      body,
    });
    assert.equal(res.status, 200, encoding);
  }
});
