/**
 * Requests as existing SourceAudio integrations send them, byte for byte:
 * PHP's http_build_query and curl (CURLFile), Python's requests. They go
 * over node:http, so nothing between the test and the gateway tidies the
 * body, the boundary or the `Expect: 100-continue` handshake.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import {
  makeDistinctTones,
  startFixtureStack,
  type FixtureStack,
} from '@ingest/testkit';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
  bytes: Buffer;
}

/** One HTTP request; waits for `100 Continue` when it asks for one. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer },
): Promise<Answer> {
  const { method = 'GET', headers = {}, body } = options;
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method,
      headers: body
        ? { 'content-length': String(body.length), ...headers }
        : headers,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const json = /json/.test(res.headers['content-type'] ?? '');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: json ? JSON.parse(bytes.toString('utf8')) : undefined,
          bytes,
        });
      });
    });
    const expects = Object.keys(headers).some((h) => /^expect$/i.test(h));
    if (expects) req.on('continue', () => req.end(body));
    else req.end(body);
  });
}

type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

/**
 * PHP's http_build_query: nested arrays as `a[b]=…` and `a[0]=…`, spaces
 * as `+`, true/false as 1/0, null left out.
 */
export function httpBuildQuery(params: Record<string, Value>): string {
  const pairs: string[] = [];
  const encode = (text: string) =>
    encodeURIComponent(text)
      .replace(/%20/g, '+')
      .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const add = (key: string, value: Value) => {
    if (value === null) return;
    if (typeof value === 'object') {
      const entries = Array.isArray(value)
        ? value.map((v, i) => [String(i), v] as const)
        : Object.entries(value);
      for (const [sub, item] of entries) add(`${key}[${sub}]`, item);
      return;
    }
    const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    pairs.push(`${encode(key)}=${encode(text)}`);
  };
  for (const [key, value] of Object.entries(params)) add(key, value);
  return pairs.join('&');
}

export interface FilePart {
  name: string;
  filename: string;
  bytes: Buffer;
}

function multipart(
  boundary: string,
  fields: [string, string][],
  file: FilePart | undefined,
  fileHeaders: string[],
): Buffer {
  const field = ([name, value]: [string, string]) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"` +
        `\r\n\r\n${value}\r\n`,
    );
  const fileParts = file
    ? [
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; ` +
            `filename="${file.filename}"\r\n` +
            fileHeaders.map((h) => `${h}\r\n`).join('') +
            '\r\n',
        ),
        file.bytes,
        Buffer.from('\r\n'),
      ]
    : [];
  return Buffer.concat([
    ...fields.map(field),
    ...fileParts,
    Buffer.from(`--${boundary}--\r\n`),
  ]);
}

/**
 * What PHP's curl sends for `CURLOPT_POSTFIELDS => [...]` (an array is
 * always sent multipart), with `'file' => new CURLFile(...)` last when a
 * file is given: libcurl's boundary, `application/octet-stream` on the
 * file, parts in array order, and `Expect: 100-continue`.
 */
export function phpCurlForm(
  fields: [string, string][],
  file?: FilePart,
): { headers: Record<string, string>; body: Buffer } {
  const boundary = `------------------------${randomBytes(8).toString('hex')}`;
  return {
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      expect: '100-continue',
      accept: '*/*',
    },
    body: multipart(boundary, fields, file, ['Content-Type: application/octet-stream']),
  };
}

/**
 * What `requests.post(url, data=..., files={'file': f})` sends: data
 * fields first (a list value as repeated fields of one name), then the
 * file with its name as raw UTF-8 and no Content-Type of its own.
 */
export function pythonRequestsUpload(
  data: Record<string, string | string[]>,
  file: FilePart,
): { headers: Record<string, string>; body: Buffer } {
  const boundary = randomBytes(16).toString('hex');
  const fields = Object.entries(data).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map(
      (v) => [name, v] as [string, string],
    ),
  );
  return {
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'user-agent': 'python-requests/2.32.3',
      accept: '*/*',
    },
    body: multipart(boundary, fields, file, []),
  };
}

/**
 * What a browser sends for an HTML form posted to the API: fields in
 * form order, the file input last; an input left empty is a part with
 * `filename=""`, no bytes and `application/octet-stream`.
 */
export function browserFormUpload(
  fields: [string, string][],
  file: FilePart,
): { headers: Record<string, string>; body: Buffer } {
  const boundary = `----WebKitFormBoundary${randomBytes(8).toString('hex')}`;
  const type = file.bytes.length === 0 ? 'application/octet-stream' : 'audio/wav';
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: multipart(boundary, fields, file, [`Content-Type: ${type}`]),
  };
}

/** The JSON types SPEC gives each answer field. */
export type FieldType =
  | 'number'
  | 'string'
  | 'string[]'
  | 'object'
  | 'array'
  | 'number|null'
  | 'string|null';

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    return value.every((v) => typeof v === 'string') ? 'string[]' : 'array';
  }
  return typeof value;
}

/**
 * Checks an answer field by field: every field SPEC names is there with
 * its type and in SPEC's order, and nothing else is there but the
 * documented `extras`.
 */
export function assertShape(
  body: Record<string, unknown>,
  fields: Record<string, FieldType>,
  extras: string[] = [],
) {
  const where = JSON.stringify(body);
  for (const [name, type] of Object.entries(fields)) {
    assert.ok(name in body, `${name} missing: ${where}`);
    const actual = typeOf(body[name]);
    const allowed = type.split('|');
    const ok =
      allowed.includes(actual) || (type === 'array' && actual === 'string[]');
    assert.ok(ok, `${name} is ${actual}, SPEC has ${type}: ${where}`);
  }
  const unexpected = Object.keys(body).filter(
    (key) => !(key in fields) && !extras.includes(key),
  );
  assert.deepEqual(unexpected, [], `fields beyond SPEC: ${where}`);
  // In SPEC's order too: a client may read an answer by position
  // (PHP's list() over array_values of a decoded answer).
  const order = Object.keys(body).filter((key) => key in fields);
  assert.deepEqual(order, Object.keys(fields), `order of fields: ${where}`);
}

/** A success: 200, JSON, and the fields SPEC gives (see assertShape). */
export function assertAnswer(
  answer: Answer,
  fields: Record<string, FieldType>,
  extras: string[] = [],
) {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  assertShape(answer.body, fields, extras);
}

/** A failure as SPEC §1 has it: its status, `error` text and `code`. */
export function assertFailure(answer: Answer, status: number, code: string) {
  const where = JSON.stringify(answer.body);
  assert.equal(answer.status, status, where);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  assert.equal(typeof answer.body.error, 'string', where);
  assert.ok(answer.body.error.length > 0, where);
  assert.equal(answer.body.code, code, where);
}

/** PHP-style calls to one gateway with one site's token. */
export type LegacyClient = ReturnType<typeof legacyClient>;

export function legacyClient(gatewayUrl: string, token: string) {
  const api = (endpoint: string) => `${gatewayUrl}/api/${endpoint}`;
  return {
    api,
    /** A multipart body built by phpCurlForm, pythonRequestsUpload… */
    postMultipart(
      endpoint: string,
      form: { headers: Record<string, string>; body: Buffer },
    ) {
      return rawRequest(api(endpoint), { method: 'POST', ...form });
    },
    /** POST http_build_query($params), the token in the URL. */
    phpPost(endpoint: string, params: Record<string, Value>) {
      return rawRequest(`${api(endpoint)}?token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(httpBuildQuery(params)),
      });
    },
    /** A GET with everything in the query string, token included. */
    phpGet(endpoint: string, params: Record<string, Value>) {
      const query = httpBuildQuery({ token, ...params });
      return rawRequest(`${api(endpoint)}?${query}`, {});
    },
  };
}

/** `upload`'s answer in SPEC §2. */
export const UPLOAD_ANSWER = {
  upload_id: 'number',
  status: 'string',
  formats: 'string[]',
  sources: 'string[]',
  meta: 'object',
} as const;

/** Meta values are text, whatever type they were sent as. */
export function assertMetaIsText(meta: Record<string, unknown>) {
  for (const [field, value] of Object.entries(meta)) {
    assert.equal(typeof value, 'string', `meta ${field}: ${typeof value}`);
  }
}

export function assertUploaded(answer: Answer) {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assertShape(answer.body, UPLOAD_ANSWER);
  assert.equal(answer.body.status, 'uploaded');
  assertMetaIsText(answer.body.meta);
}

/** A stack with `tones` distinct tones, and a legacy client of its site. */
export interface LegacyFixture extends LegacyClient {
  fixture: FixtureStack;
  token: string;
  toneUrl(n: number): string;
  tone(n: number): Promise<Buffer>;
}

export async function startLegacyFixture(tones: number): Promise<LegacyFixture> {
  const fixture = await startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, tones),
  });
  const { token } = fixture.site;
  return {
    ...legacyClient(fixture.stack.gatewayUrl, token),
    fixture,
    token,
    toneUrl: (n) => `${fixture.files.url}/tone-${n}.wav`,
    tone: (n) => readFile(path.join(fixture.dir, `tone-${n}.wav`)),
  };
}
