/**
 * A multipart body cut inside a file part, its Content-Length honest and
 * its closing boundary missing: busboy fails the part's stream with
 * "Unexpected end of form". Unheard, that error ended the gateway
 * process, with no token needed (one 500-byte request). Each such call
 * now answers 400 and the gateway stays up, keeping no file. So does a
 * body whose file holds the closing boundary line, the form going on.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TestStack, jsonAnswer, makeTone, type TestSite } from '@ingest/testkit';

let stack: TestStack;
let site: TestSite;
let wav: Buffer;

before(async () => {
  stack = await TestStack.start();
  site = await stack.createSite();
  wav = await readFile(
    await makeTone(path.join(stack.dataDir, 'tone.wav'), { seconds: 1 }),
  );
});

after(() => stack?.close());

const BOUNDARY = 'cut-here';

function part(name: string, value: Buffer | string, filename?: string): Buffer {
  const file = filename === undefined ? '' : `; filename="${filename}"`;
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${file}\r\n\r\n`,
    ),
    Buffer.from(value),
    Buffer.from('\r\n'),
  ]);
}

/** POSTs `body` whole to upload, as a multipart form. */
function upload(body: Buffer) {
  const req = http.request(new URL('/api/import/upload', stack.gatewayUrl), {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'content-length': String(body.length),
    },
  });
  const answer = jsonAnswer(req);
  req.end(body);
  return answer;
}

test('a body cut inside a file part answers 400; the gateway stays up', async () => {
  const cut = (parts: Buffer) => parts.subarray(0, parts.length - 600);
  const withToken = Buffer.concat([part('token', site.token), part('file', wav, 'a.wav')]);
  const cases: Array<[string, Buffer]> = [
    ['file after the token', cut(withToken)],
    ['file before any token', cut(part('file', wav, 'b.wav'))],
    ['another file part', cut(part('other', wav, 'c.bin'))],
  ];
  for (const [what, body] of cases) {
    const answer = await upload(body);
    assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.code, 'invalid_parameter', what);
    assert.match(answer.body.error, /multipart|closed before/, what);
  }

  // Up, and a whole form of the same file is an upload as before.
  const whole = Buffer.concat([
    part('token', site.token),
    part('file', wav, 'whole.wav'),
    Buffer.from(`--${BOUNDARY}--\r\n`),
  ]);
  const good = await upload(whole);
  assert.equal(good.status, 200, JSON.stringify(good.body));
  const sources = path.join(stack.dataDir, 'storage', 'sources', String(site.id));
  const stored = await readdir(sources);
  assert.equal(stored.length, 1, `sources kept: ${stored.join(', ')}`);
});

// A file whose data holds the closing boundary line: busboy ended the
// form there, the file cut short and the fields after it lost, with 200.
test('a closing boundary line inside a file answers 400, keeping no file', async () => {
  const sources = path.join(stack.dataDir, 'storage', 'sources', String(site.id));
  const before = await readdir(sources).catch(() => []);
  const half = wav.subarray(0, wav.length >> 1);
  const closing = Buffer.from(`\r\n--${BOUNDARY}--`);
  const cases: Array<[string, Buffer]> = [
    ['the rest of the file after it', Buffer.concat([half, closing, Buffer.from('\r\n'), half])],
    ['the file ending with it', Buffer.concat([half, closing])],
  ];
  for (const [what, data] of cases) {
    const answer = await upload(
      Buffer.concat([
        part('token', site.token),
        part('file', data, 'held.wav'),
        part('meta[Title]', 'After the file'),
        Buffer.from(`--${BOUNDARY}--\r\n`),
      ]),
    );
    assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
    assert.match(answer.body.error, /goes on after its closing boundary line/, what);
  }
  assert.deepEqual(await readdir(sources).catch(() => []), before, 'no source kept');
});
