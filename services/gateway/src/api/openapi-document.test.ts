import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020';
import type { Express } from 'express';
import { Registry } from 'prom-client';
import { ERRORS, OUTPUT_FORMATS, contentTypeOf } from '@ingest/core';
import { createLogger } from '@ingest/telemetry';
import { createApp, type AppDeps } from '../app';
import { RENDERER_PATH } from '../routes/api-docs-routes';
import { API_ENDPOINTS } from './endpoints';
import { buildOpenApiDocument } from './openapi-document';

type Json = Record<string, any>;

const doc = buildOpenApiDocument({ version: '0.0.0-test' }) as Json;

/** Paths of every route the app registers, routers walked into. */
function registeredPaths(app: Express): string[] {
  const paths: string[] = [];
  const walk = (stack: Json[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) paths.push(prefix + layer.route.path);
      else if (layer.handle?.stack) {
        const mount = layer.rawPath === '/' ? '' : String(layer.rawPath);
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as Json).router.stack, '');
  return paths;
}

test('the document is valid OpenAPI 3.1', async () => {
  assert.equal(doc.openapi, '3.1.0');
  // The validator dereferences in place: give it a copy.
  const result = await validate(structuredClone(doc) as never);
  assert.ok(result.valid, result.valid ? '' : compileErrors(result));
});

test('every component is a valid JSON Schema 2020-12', () => {
  // The OpenAPI validator does not look inside Schema Objects.
  const ajv = new Ajv2020({ strict: false });
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    assert.ok(ajv.validateSchema(schema as Json), `${name}: ${ajv.errorsText()}`);
  }
});

test('every route the app registers is documented, and only those', () => {
  // Registering routes reads none of these dependencies.
  const app = createApp({
    logger: createLogger('test', 'silent'),
    registry: new Registry(),
    ready: async () => true,
    draining: () => false,
  } as unknown as AppDeps);
  const registered = registeredPaths(app).filter((p) => p !== RENDERER_PATH);
  assert.ok(registered.includes('/api/import/upload'), registered.join());
  assert.deepEqual(
    [...new Set(registered)].sort(),
    Object.keys(doc.paths).sort(),
  );
});

test('each API endpoint takes GET, JSON, form and multipart', () => {
  for (const [name, endpoint] of Object.entries(API_ENDPOINTS)) {
    const item = doc.paths[endpoint.path];
    const query = item.get.parameters.map((p: Json) => p.name);
    assert.ok(!query.includes('token'), `${name}: token is a scheme`);
    const content = item.post.requestBody.content;
    assert.deepEqual(Object.keys(content).sort(), [
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ]);
    const multipart = JSON.stringify(content['multipart/form-data']);
    assert.equal(multipart.includes('"file"'), name === 'upload', name);
  }
  const upload = doc.paths['/api/import/upload'].get.parameters;
  const meta = upload.find((p: Json) => p.name === 'meta');
  assert.equal(meta.style, 'deepObject');
  const idempotency = upload.find((p: Json) => p.name === 'Idempotency-Key');
  assert.equal(idempotency.in, 'header');
});

test('security: bearer header or token parameter', () => {
  assert.deepEqual(doc.security, [{ bearer: [] }, { token: [] }]);
  const { bearer, token } = doc.components.securitySchemes;
  assert.deepEqual([bearer.type, bearer.scheme], ['http', 'bearer']);
  assert.deepEqual([token.type, token.in, token.name], ['apiKey', 'query', 'token']);
  assert.deepEqual(doc.paths['/healthz'].get.security, []);
});

test('the error body lists every code of the registry', () => {
  const body = doc.components.schemas.ErrorBody;
  assert.deepEqual(body.required, ['error', 'code']);
  assert.deepEqual(body.properties.code.enum, Object.keys(ERRORS));
  const checkJob = doc.paths['/api/import/checkJob'].post.responses;
  assert.deepEqual(
    checkJob[404].content['application/json'].schema.allOf[1],
    { properties: { code: { enum: ['not_found'] } } },
  );
  assert.ok(checkJob[401] && checkJob[400] && checkJob[500]);
});

test('success answers come from the response schemas', () => {
  const { schemas } = doc.components;
  const checkJob = schemas.CheckJobResponse;
  assert.deepEqual(
    checkJob.required.sort(),
    ['d', 'deliveries', 'e', 'i', 'job_id', 'q', 'state'],
  );
  const row = schemas.ListResponse.properties.tracks.items.properties;
  for (const field of ['renditions', 'error', 'error_code', 'track_id']) {
    assert.ok(row[field], field);
  }
  assert.deepEqual(
    schemas.SearchResponse.required.sort(),
    ['pg', 'show', 'total', 'tracks'],
  );
});

test('downloads answer audio, whole or a range', () => {
  const { responses } = doc.paths['/api/tracks/download'].get;
  const types = OUTPUT_FORMATS.map(contentTypeOf);
  assert.deepEqual(Object.keys(responses[200].content), types);
  assert.deepEqual(Object.keys(responses[206].content), types);
  assert.ok(responses[206].headers['Content-Range']);
  assert.ok(responses[416].headers['Content-Range']);
  assert.deepEqual(
    responses[416].content['application/json'].schema.allOf[1],
    { properties: { code: { enum: ['range_not_satisfiable'] } } },
  );
  const params = doc.paths['/api/tracks/download'].get.parameters;
  assert.ok(params.some((p: Json) => p.name === 'Range' && p.in === 'header'));
});

test('downloads name their validators and conditional answers', () => {
  const { responses, parameters } = doc.paths['/api/tracks/download'].get;
  for (const status of [200, 206, 304]) {
    assert.ok(responses[status].headers.ETag, `ETag on ${status}`);
    assert.ok(responses[status].headers['Last-Modified'], `${status}`);
  }
  assert.equal(responses[302].headers.ETag, undefined);
  assert.deepEqual(
    responses[412].content['application/json'].schema.allOf[1],
    { properties: { code: { enum: ['precondition_failed'] } } },
  );
  const names = parameters
    .filter((p: Json) => p.in === 'header')
    .map((p: Json) => p.name);
  for (const name of ['If-Range', 'If-None-Match', 'If-Match']) {
    assert.ok(names.includes(name), name);
  }
});
