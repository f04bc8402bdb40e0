import * as z from 'zod';
import { ERRORS, type ErrorCode } from '@ingest/core';
import {
  DOWNLOAD_REQUEST_HEADERS,
  DOWNLOAD_RESPONSES,
} from './download-document';
import {
  API_ENDPOINTS,
  COMMON_ERRORS,
  type ApiEndpoint,
  type EndpointName,
} from './endpoints';
import * as paramSchemas from './param-schemas';
import * as responseSchemas from './response-schemas';

type Json = Record<string, unknown>;

const SCHEMAS = '#/components/schemas/';

/**
 * The OpenAPI 3.1 document of the gateway, made from the same zod schemas
 * the gateway validates with (api/param-schemas.ts, response-schemas.ts).
 */
export function buildOpenApiDocument(options: { version: string }): Json {
  const names = componentNames();
  const schemas = componentSchemas(names);
  const paths: Json = {};
  for (const [name, endpoint] of Object.entries(API_ENDPOINTS)) {
    const ep: ApiEndpoint = endpoint;
    const operation = (method: 'get' | 'post') =>
      apiOperation(name as EndpointName, ep, method, names, schemas);
    paths[ep.path] = { get: operation('get'), post: operation('post') };
  }
  Object.assign(paths, SERVICE_PATHS);

  return {
    openapi: '3.1.0',
    info: {
      title: 'catalog-ingest API',
      version: options.version,
      description: INTRO,
    },
    tags: [
      { name: 'Import', description: 'SourceAudio-compatible Import API.' },
      { name: 'Tracks', description: 'Published tracks and their files.' },
      { name: 'Service', description: 'Health, metrics and this reference.' },
    ],
    security: [{ bearer: [] }, { token: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: "`Authorization: Bearer <token>` with the site's token.",
        },
        token: {
          type: 'apiKey',
          in: 'query',
          name: 'token',
          description:
            'The `token` parameter, in the query string, a form or JSON body.',
        },
      },
    },
  };
}

const INTRO = [
  'An import-and-publish pipeline for music catalogs, compatible with the',
  'SourceAudio Import API: upload → set metadata → publish → check / list.',
  '',
  'Every endpoint takes its parameters as a GET query string, an',
  'urlencoded or multipart POST, or a JSON body, with the same names in',
  'each; unknown extra parameters are ignored, blank values count as',
  'absent. A failed call answers a 4xx/5xx status with',
  '`{"error": "…", "code": "…"}`: `error` is for people, `code` is stable.',
].join('\n');

/** Component names: each exported schema, named after its export. */
function componentNames(): Map<z.ZodType, string> {
  const names = new Map<z.ZodType, string>();
  for (const module of [paramSchemas, responseSchemas]) {
    for (const [exported, value] of Object.entries(module)) {
      if (!(value instanceof z.ZodType) || names.has(value)) continue;
      names.set(value, exported[0].toUpperCase() + exported.slice(1));
    }
  }
  return names;
}

function componentSchemas(names: Map<z.ZodType, string>): Json {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of names) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    // Parameters are shown as clients may send them, before any folding.
    io: 'input',
    uri: (id) => SCHEMAS + id,
  });
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
    // Extra properties are allowed either way; `{}` only adds noise.
    const extra = schema.additionalProperties;
    if (typeof extra === 'object' && Object.keys(extra).length === 0) {
      delete schema.additionalProperties;
    }
  }
  return schemas;
}

function ref(names: Map<z.ZodType, string>, schema: z.ZodType) {
  const name = names.get(schema);
  if (!name) throw new Error('schema is not exported by api/*-schemas.ts');
  return { $ref: SCHEMAS + name };
}

function apiOperation(
  name: EndpointName,
  ep: ApiEndpoint,
  method: 'get' | 'post',
  names: Map<z.ZodType, string>,
  schemas: Json,
): Json {
  const paramsRef = ref(names, ep.params);
  const paramsSchema = schemas[names.get(ep.params)!] as Json;
  const parameters: Json[] =
    method === 'get' ? queryParameters(paramsSchema) : [];
  if (ep.idempotent) parameters.push(IDEMPOTENCY_HEADER);
  if (name === 'download') parameters.push(...DOWNLOAD_REQUEST_HEADERS);

  const operation: Json = {
    operationId: method === 'get' ? `${name}ViaGet` : name,
    tags: [ep.tag],
    summary: method === 'get' ? `${ep.summary} (query string)` : ep.summary,
    description: ep.description,
    parameters,
    responses: withErrors(
      ep.response
        ? {
            200: {
              description: 'Done.',
              content: {
                'application/json': { schema: ref(names, ep.response) },
              },
            },
          }
        : DOWNLOAD_RESPONSES,
      errorResponses([...COMMON_ERRORS, ...ep.errors]),
    ),
  };
  if (method === 'post') operation.requestBody = requestBody(ep, paramsRef);
  return operation;
}

/** One query parameter per property, `token` aside (a security scheme). */
function queryParameters(paramsSchema: Json): Json[] {
  const properties = (paramsSchema.properties ?? {}) as Record<string, Json>;
  const required = new Set((paramsSchema.required ?? []) as string[]);
  return Object.entries(properties)
    .filter(([name]) => name !== 'token')
    .map(([name, property]) => {
      const { description, ...schema } = property;
      const parameter: Json = {
        name,
        in: 'query',
        required: required.has(name),
        description,
        schema,
      };
      if (name === 'meta') {
        // meta[Title]=…&meta[Artist]=…
        Object.assign(parameter, { style: 'deepObject', explode: true });
      } else if (acceptsArray(schema)) {
        // formats=mp3,wav
        Object.assign(parameter, { style: 'form', explode: false });
      }
      return parameter;
    });
}

function acceptsArray(schema: Json): boolean {
  const options = (schema.anyOf ?? []) as Json[];
  return schema.type === 'array' || options.some((s) => s.type === 'array');
}

function requestBody(ep: ApiEndpoint, paramsRef: Json): Json {
  const formEncoding = {
    meta: { style: 'deepObject', explode: true },
    formats: { style: 'form', explode: false },
  };
  const multipartSchema = ep.file
    ? {
        allOf: [
          paramsRef,
          {
            type: 'object',
            properties: {
              file: {
                type: 'string',
                format: 'binary',
                contentMediaType: 'application/octet-stream',
                description:
                  'The source audio, instead of `url`; send it as the last ' +
                  'part, after the other fields.',
              },
            },
          },
        ],
      }
    : paramsRef;
  return {
    required: false,
    description:
      'The same parameters as the query string. In forms, `meta` is sent ' +
      'as `meta[Field]` keys and lists as `name[]` keys or comma text.',
    content: {
      'application/json': { schema: paramsRef },
      'application/x-www-form-urlencoded': {
        schema: paramsRef,
        encoding: formEncoding,
      },
      'multipart/form-data': { schema: multipartSchema },
    },
  };
}

/** Answers and error answers; one of both statuses (416) gets both. */
function withErrors(answers: Json, errors: Json): Json {
  const all: Json = { ...answers };
  for (const [status, error] of Object.entries(errors)) {
    all[status] = { ...(answers[status] as Json | undefined), ...(error as Json) };
  }
  return all;
}

/** Error answers grouped by status, each naming the codes it may carry. */
function errorResponses(codes: ErrorCode[]): Json {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const { status } = ERRORS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Json = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: group
        .map((code) => `\`${code}\`: ${ERRORS[code].message}`)
        .join('; '),
      content: {
        'application/json': {
          schema: {
            allOf: [
              { $ref: `${SCHEMAS}ErrorBody` },
              { properties: { code: { enum: group } } },
            ],
          },
        },
      },
    };
  }
  return responses;
}

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retried call safe: a repeat with the same key and the same ' +
    'parameters gets the first answer again instead of running twice.',
  schema: { type: 'string', maxLength: 255 },
};

const status = {
  type: 'object',
  properties: { status: { type: 'string' } },
  required: ['status'],
};

/** Endpoints outside /api: no token needed. */
const SERVICE_PATHS: Json = {
  '/healthz': serviceGet('Alive', 'The process answers.', {
    200: jsonAnswer('Alive.', status),
  }),
  '/readyz': serviceGet('Ready', 'Redis and storage answer; Redis has room.', {
    200: jsonAnswer('Ready.', status),
    503: jsonAnswer('Not ready, or shutting down.', status),
  }),
  '/metrics': serviceGet('Metrics', 'Prometheus metrics.', {
    200: {
      description: 'Prometheus text exposition format.',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
  }),
  '/openapi.json': serviceGet('OpenAPI document', 'This document.', {
    200: jsonAnswer('OpenAPI 3.1.', { type: 'object' }),
  }),
  '/docs': serviceGet('API reference', 'This document, rendered.', {
    200: {
      description: 'An HTML page.',
      content: { 'text/html': { schema: { type: 'string' } } },
    },
  }),
};

function serviceGet(summary: string, description: string, responses: Json) {
  const operationId = summary.replace(/\W+(\w)/g, (_m, c: string) =>
    c.toUpperCase(),
  );
  return {
    get: {
      operationId: operationId[0].toLowerCase() + operationId.slice(1),
      tags: ['Service'],
      summary,
      description,
      security: [],
      responses,
    },
  };
}

function jsonAnswer(description: string, schema: Json) {
  return { description, content: { 'application/json': { schema } } };
}
