/**
 * The API reference: /openapi.json is valid OpenAPI 3.1 and lists every
 * endpoint the gateway serves; the gateway checks parameters with the
 * same schemas (a value only the schema refuses answers 400 naming it);
 * real answers match the documented response schemas; /docs renders it
 * in headless Chromium without reaching any other host.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020';
import {
  chromiumMissing,
  launchChromium,
  makeTone,
  startFixtureStack,
  type FixtureStack,
  type LoopbackServer,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';
import { API_ENDPOINTS } from '@ingest/gateway/src/api/endpoints';

// Kept after the run (one file, overwritten) for a look; docs/images has
// a copy, refreshed by hand, so a test run leaves the checkout clean.
const SCREENSHOT = path.join(os.tmpdir(), 'ingest-api-reference.png');

type Json = Record<string, any>;

let fixture: FixtureStack;
let files: LoopbackServer;
let stack: TestStack;
let site: TestSite;
let doc: Json;
let ajv: Ajv2020;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      await makeTone(path.join(dir, 'tone.wav'), {
        seconds: 2,
        tags: { title: 'Reference Tone', artist: 'Schema Band' },
      });
      await makeTone(path.join(dir, 'other.wav'), { seconds: 1 });
    },
  });
  ({ files, stack, site } = fixture);
});

after(() => fixture?.close());

function call(name: keyof typeof API_ENDPOINTS, params: Json = {}) {
  return stack.call(API_ENDPOINTS[name].path, site.token, params);
}

/**
 * Checks an answer against the served document's 200 schema for the
 * endpoint, and that it carries no field the document leaves out.
 */
function assertDocumented(name: keyof typeof API_ENDPOINTS, body: unknown) {
  const endpoint = API_ENDPOINTS[name];
  const pointer =
    `openapi.json#/paths/${endpoint.path.replaceAll('/', '~1')}` +
    "/post/responses/200/content/application~1json/schema";
  const check = ajv.getSchema(pointer);
  assert.ok(check, pointer);
  assert.ok(check(body), `${name}: ${ajv.errorsText(check.errors)}`);
  // The zod schema keeps only documented fields: nothing may be lost.
  if ('response' in endpoint) {
    assert.deepEqual(endpoint.response.parse(body), body, name);
  }
}

test('/openapi.json: valid OpenAPI 3.1, served without a token', async () => {
  const res = await fetch(`${stack.gatewayUrl}/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  doc = (await res.json()) as Json;
  assert.equal(doc.openapi, '3.1.0');

  const result = await validate(structuredClone(doc) as never);
  assert.ok(result.valid, result.valid ? '' : compileErrors(result));

  ajv = new Ajv2020({ strict: false, validateFormats: false });
  ajv.addSchema(doc, 'openapi.json');
});

test('every documented path is served', async () => {
  for (const [route, item] of Object.entries(doc.paths as Json)) {
    const res = await fetch(`${stack.gatewayUrl}${route}`);
    const isApi = route.startsWith('/api/');
    // An API path without a token answers 401, never "no such endpoint".
    assert.equal(res.status, isApi ? 401 : 200, route);
    if (isApi) {
      assert.equal(((await res.json()) as Json).code, 'unauthorized');
      assert.ok(item.get && item.post, route);
    } else {
      await res.arrayBuffer();
    }
  }
  const documented = Object.keys(doc.paths);
  for (const endpoint of Object.values(API_ENDPOINTS)) {
    assert.ok(documented.includes(endpoint.path), endpoint.path);
  }
});

test('a value only the schema refuses answers 400 naming it', async () => {
  const url = `${files.url}/tone.wav`;
  for (const autopublish of ['maybe', '2']) {
    const answer = await call('upload', { url, autopublish });
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'invalid_parameter');
    assert.equal(answer.body.error, 'autopublish must be 1, 0, true or false');
    assert.deepEqual(answer.body.parameters, ['autopublish']);
  }
  const meta = await call('upload', { url, meta: 'Title' });
  assert.equal(meta.status, 400);
  assert.match(meta.body.error, /^meta must be an object/);

  // A multipart file with a bad field is refused too, and not kept.
  const form = new FormData();
  form.set('immediate', 'soon');
  form.set('file', new Blob([new Uint8Array(64)]), 'a.wav');
  const res = await fetch(
    `${stack.gatewayUrl}/api/import/upload?token=${site.token}`,
    { method: 'POST', body: form },
  );
  const body = (await res.json()) as Json;
  assert.equal(res.status, 400, JSON.stringify(body));
  assert.match(body.error, /^immediate must be 1, 0, true or false$/);

  const job = await call('checkJob');
  assert.equal(job.body.q, 0, 'no refused call made an upload');

  // Every endpoint checks its own schema: a list where one value is
  // expected is refused by the schema alone (the readers ignore lists).
  for (const [name, endpoint] of Object.entries(API_ENDPOINTS)) {
    const schema = doc.components.schemas[
      doc.paths[endpoint.path].post.requestBody.content['application/json']
        .schema.$ref.split('/').pop()
    ];
    const scalar = Object.keys(schema.properties).find(
      (p) => !['token', 'meta', 'formats'].includes(p),
    );
    if (!scalar) continue;
    const answer = await call(name as keyof typeof API_ENDPOINTS, {
      [scalar]: ['1', '2'],
    });
    assert.equal(answer.status, 400, `${name}: ${JSON.stringify(answer.body)}`);
    assert.match(answer.body.error, new RegExp(`^${scalar} `), name);
  }
});

test('unknown extra parameters are allowed', async () => {
  const answer = await call('checkJob', { source_audio_extra: 'x', n: 1 });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
});

test('answers match the documented response schemas', async () => {
  const uploaded = await call('upload', {
    url: `${files.url}/tone.wav`,
    formats: 'mp3,WAV',
    extra_field: 'ignored',
  });
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
  assertDocumented('upload', uploaded.body);
  const uploadId = uploaded.body.upload_id;

  const steps: Array<[keyof typeof API_ENDPOINTS, Json]> = [
    ['setMetadata', { upload_id: uploadId, meta: { Genre: 'Ambient' } }],
    ['setFormats', { upload_id: uploadId, formats: ['mp3', 'flac'] }],
    ['getAvailableFields', {}],
    ['checkJob', {}],
    ['list', {}],
  ];
  for (const [name, params] of steps) {
    const answer = await call(name, params);
    assert.equal(answer.status, 200, `${name}: ${JSON.stringify(answer.body)}`);
    assertDocumented(name, answer.body);
  }

  const created = await call('createJob', { name: 'spare' });
  assertDocumented('createJob', created.body);

  const published = await call('publish', {});
  assert.equal(published.status, 200, JSON.stringify(published.body));
  assertDocumented('publish', published.body);
  const jobId = published.body.job_id;
  assertDocumented('checkJob', await stack.waitForJob(site.token, jobId));

  const listed = await call('list', { job_id: jobId });
  assertDocumented('list', listed.body);
  const trackId = listed.body.tracks[0].track_id;
  assert.ok(listed.body.tracks[0].renditions.flac, 'renditions listed');

  const track = await call('getById', { track_id: trackId });
  assertDocumented('getById', track.body);

  // A track appears in search once indexed, a separate step.
  const deadline = Date.now() + 60_000;
  let found = await call('search', { s: 'reference' });
  while (found.body.total === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    found = await call('search', { s: 'reference' });
  }
  assert.equal(found.body.total, 1, JSON.stringify(found.body));
  assertDocumented('search', found.body);

  const update = await call('upload', {
    url: `${files.url}/other.wav`,
    track_id: trackId,
    format: 'MP3',
  });
  assert.equal(update.status, 200, JSON.stringify(update.body));
  assertDocumented('upload', update.body);
  const dropped = await call('delete', { update_id: update.body.update_id });
  assertDocumented('delete', dropped.body);

  const download = await fetch(
    `${stack.gatewayUrl}/api/tracks/download?track_id=${trackId}&format=flac`,
    { headers: { authorization: `Bearer ${site.token}`, range: 'bytes=0-9' } },
  );
  assert.equal(download.status, 206);
  const documentedTypes = Object.keys(
    doc.paths['/api/tracks/download'].get.responses[206].content,
  );
  assert.ok(documentedTypes.includes(download.headers.get('content-type')!));
  assert.equal((await download.arrayBuffer()).byteLength, 10);

  const deleted = await call('deleteTrack', { track_id: trackId });
  assertDocumented('deleteTrack', deleted.body);

  const missing = await call('getById', { track_id: trackId });
  assert.equal(missing.status, 404);
  const check = ajv.getSchema('openapi.json#/components/schemas/ErrorBody')!;
  assert.ok(check(missing.body), ajv.errorsText(check.errors));
});

test(
  '/docs renders the reference in Chromium, from this gateway alone',
  { skip: chromiumMissing() },
  async () => {
    const { page, close } = await launchChromium();
    try {
      const gateway = new URL(stack.gatewayUrl).host;
      const outside = (url: string) => {
        const { protocol, host } = new URL(url);
        return /^https?:$/.test(protocol) && host !== gateway;
      };
      // Requests for other hosts, and how each ended.
      const elsewhere = new Map<string, string>();
      page.on('request', (request) => {
        if (outside(request.url())) elsewhere.set(request.url(), 'sent');
      });
      page.on('requestfailed', (request) => {
        if (outside(request.url())) {
          elsewhere.set(request.url(), request.failure()?.errorText ?? '');
        }
      });

      const res = await page.goto(`${stack.gatewayUrl}/docs`);
      assert.equal(res?.status(), 200);
      // Redoc renders each operation's summary as a heading.
      const heading = page
        .getByRole('heading', { name: /Upload a source$/ })
        .first();
      await heading.waitFor({ state: 'visible', timeout: 60_000 });
      await page
        .getByText('/api/tracks/download')
        .first()
        .waitFor({ state: 'attached', timeout: 10_000 });

      // The picture shows the upload call with its parameters.
      await page
        .locator('[data-section-id="tag/Import/operation/upload"]')
        .evaluate((section) => section.scrollIntoView());
      await mkdir(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      console.log(`# screenshot: ${SCREENSHOT}`);
      // The page's policy stops any other host in the browser itself.
      for (const [url, outcome] of elsewhere) {
        assert.equal(outcome, 'csp', url);
      }
    } finally {
      await close();
    }
  },
);
