import type * as z from 'zod';
import type { ErrorCode } from '@ingest/core';
import type { ParamSchema } from './param-check';
import * as params from './param-schemas';
import * as answers from './response-schemas';

/** One API endpoint, as the gateway serves it and the reference shows it. */
export interface ApiEndpoint {
  path: string;
  /** Grouping in the reference: Import or Tracks. */
  tag: 'Import' | 'Tracks';
  summary: string;
  description: string;
  params: ParamSchema;
  /** Success answer; none for downloads, which answer audio. */
  response?: z.ZodType;
  /** Codes this endpoint may answer besides those every endpoint may. */
  errors: ErrorCode[];
  /** Takes a multipart `file`. */
  file?: boolean;
  /** Honours an `Idempotency-Key` header. */
  idempotent?: boolean;
}

/** Codes any endpoint may answer. */
export const COMMON_ERRORS: ErrorCode[] = [
  'unauthorized',
  'invalid_parameter',
  'payload_too_large',
  'unsupported_media_type',
  'malformed_request',
  'headers_too_large',
  'expectation_failed',
  'not_ready',
  'internal',
];

export const IDEMPOTENCY_ERRORS: ErrorCode[] = [
  'idempotency_key_reused',
  'idempotency_in_progress',
];

/** Every endpoint under /api (SPEC §2), by operation name. */
export const API_ENDPOINTS = {
  upload: {
    path: '/api/import/upload',
    tag: 'Import',
    summary: 'Upload a source',
    description:
      'Fetches `url` (or takes a multipart `file`), stores it, reads its ' +
      "tags and puts it in the job's queue. A file with the same name but " +
      'another extension in the same open job, or one sent with ' +
      '`upload_id`, becomes a source of that upload instead. With ' +
      '`track_id` it updates a published track. One upload per site may ' +
      'be fetching at a time. Multipart fields may come before or after ' +
      '`file`; a file sent before the token is spooled by the gateway ' +
      'until the form is read.',
    params: params.uploadParams,
    response: answers.uploadResponse,
    errors: [
      'not_found',
      'unknown_fields',
      'invalid_format',
      'invalid_address',
      'url_not_allowed',
      'fetch_failed',
      'source_too_large',
      'request_timeout',
      'spool_full',
      'not_audio',
      'too_many_channels',
      'unsupported_sample_rate',
      'source_too_long',
      'quota_exceeded',
      'job_closed',
      'upload_not_queued',
      'duplicate_upload',
      'upload_in_progress',
      ...IDEMPOTENCY_ERRORS,
    ],
    file: true,
    idempotent: true,
  },
  setMetadata: {
    path: '/api/import/setMetadata',
    tag: 'Import',
    summary: 'Set metadata of a queued upload',
    description:
      'Merges `meta` into the upload; a blank value (or JSON null) clears ' +
      'a field. An unknown field name refuses the whole call.',
    params: params.setMetadataParams,
    response: answers.setMetadataResponse,
    errors: ['not_found', 'upload_not_queued', 'unknown_fields'],
  },
  setFormats: {
    path: '/api/import/setFormats',
    tag: 'Import',
    summary: 'Set the formats of a queued upload',
    description: 'Sets the final format list of its track.',
    params: params.setFormatsParams,
    response: answers.setFormatsResponse,
    errors: ['not_found', 'upload_not_queued', 'invalid_format'],
  },
  getAvailableFields: {
    path: '/api/import/getAvailableFields',
    tag: 'Import',
    summary: 'List metadata fields',
    description: "The standard fieldset plus the site's custom fields.",
    params: params.noParams,
    response: answers.availableFieldsResponse,
    errors: [],
  },
  createJob: {
    path: '/api/import/createJob',
    tag: 'Import',
    summary: 'Create a job',
    description:
      "A job separate from the site's main job. It emails `email` (default: " +
      "the site's contact address) when it completes, and tells " +
      '`oncomplete` too when one is given (a later value replaces it).',
    params: params.createJobParams,
    response: answers.createJobResponse,
    errors: ['invalid_address', ...IDEMPOTENCY_ERRORS],
    idempotent: true,
  },
  publish: {
    path: '/api/import/publish',
    tag: 'Import',
    summary: 'Publish a job',
    description:
      "Closes the job and transcodes its uploads; the site's main job " +
      'rolls over to a fresh one. Publishing an empty job is an error.',
    params: params.publishParams,
    response: answers.publishResponse,
    errors: [
      'not_found',
      'invalid_address',
      'url_not_allowed',
      'job_closed',
      'job_empty',
      ...IDEMPOTENCY_ERRORS,
    ],
    idempotent: true,
  },
  checkJob: {
    path: '/api/import/checkJob',
    tag: 'Import',
    summary: 'Progress of a job',
    description:
      'Counts its uploads (q waiting, i transcoding, d published, e ' +
      'errored) and lists every notification delivery attempt.',
    params: params.jobParams,
    response: answers.checkJobResponse,
    errors: ['not_found'],
  },
  list: {
    path: '/api/import/list',
    tag: 'Import',
    summary: 'Uploads of a job',
    description:
      'Each upload with its status and, once published, its track id and ' +
      'renditions; an errored one with its reason.',
    params: params.jobParams,
    response: answers.listResponse,
    errors: ['not_found'],
  },
  delete: {
    path: '/api/import/delete',
    tag: 'Import',
    summary: 'Drop queued uploads or updates',
    description:
      'Drops a queued `upload_id`, a pending `update_id`, or with ' +
      '`upload_id=ALL` every unpublished upload and update of the site ' +
      '(of `job_id` alone when given).',
    params: params.deleteParams,
    response: answers.deleteResponse,
    errors: ['not_found', 'upload_not_queued'],
  },
  getById: {
    path: '/api/tracks/getById',
    tag: 'Tracks',
    summary: 'One published track',
    description: 'The track with its metadata and renditions.',
    params: params.trackParams,
    response: answers.getByIdResponse,
    errors: ['not_found'],
  },
  search: {
    path: '/api/tracks/search',
    tag: 'Tracks',
    summary: 'Search tracks',
    description:
      "The site's indexed tracks whose Title, Artist, Album, Composer, " +
      'Genre, ISRC or Filename (without an audio extension) hold every word ' +
      'of `s`, newest first. A track ' +
      'appears here only after it has been indexed, shortly after it ' +
      'is published.',
    params: params.searchParams,
    response: answers.searchResponse,
    errors: [],
  },
  deleteTrack: {
    path: '/api/tracks/delete',
    tag: 'Tracks',
    summary: 'Delete a published track',
    description:
      'Removes its renditions and its record, then removes it from search.',
    params: params.trackParams,
    response: answers.trackDeleteResponse,
    errors: ['not_found'],
  },
  download: {
    path: '/api/tracks/download',
    tag: 'Tracks',
    summary: 'Download a rendition',
    description:
      'The audio file of one rendition, with `Content-Length`, single ' +
      '`Range` support and validators: `ETag` (the rendition\'s sha256), ' +
      '`Last-Modified`, honoured in `If-Range`, `If-None-Match` and ' +
      '`If-Match`. Where the gateway is set to redirect downloads, ' +
      'answers 302 to a signed storage URL instead.',
    params: params.downloadParams,
    errors: [
      'not_found',
      'invalid_format',
      'rendition_missing',
      'precondition_failed',
      'range_not_satisfiable',
    ],
  },
} satisfies Record<string, ApiEndpoint>;

export type EndpointName = keyof typeof API_ENDPOINTS;
