import * as z from 'zod';
import { ERRORS, OUTPUT_FORMATS, UPLOAD_ERROR_CODES } from '@ingest/core';

/**
 * What each endpoint answers on success, as the handlers and
 * routes/presenters.ts build it, plus the shared error body. The OpenAPI
 * document is made from these; the API reference test checks real
 * answers against them.
 */

const id = z.int().min(1);
const format = z.enum(OUTPUT_FORMATS);
const meta = z
  .record(z.string(), z.string())
  .meta({ description: 'Metadata fields by name.' });
const uploadStatus = z
  .enum(['uploaded', 'queued', 'transcoding', 'published', 'error'])
  .meta({
    description:
      'uploaded: in a job not yet published, so it may still change ' +
      "(SPEC's queued upload); queued: its job was published and it waits " +
      'for a transcoder; transcoding: its renditions are being made; ' +
      'published: its track is made; error: it failed (see error, ' +
      'error_code).',
  });
const jobState = z.enum(['open', 'publishing', 'complete']).meta({
  description:
    'open: takes uploads; publishing: published, uploads still waiting ' +
    'or transcoding; complete: none left waiting or transcoding.',
});
const success = z.literal('success');

export const renditionAnswer = z
  .object({
    bytes: z.int(),
    sha256: z.string(),
    duration: z.number().meta({ description: 'Decoded duration, seconds.' }),
    sample_rate: z.int(),
    channels: z.int(),
    codec: z.string(),
    bit_depth: z.int().optional().meta({ description: 'Lossless formats.' }),
    bitrate: z
      .int()
      .optional()
      .meta({ description: 'Bits per second, lossy formats.' }),
    url: z.string().meta({ description: 'Where to download it.' }),
  })
  .meta({ description: 'One verified rendition of a track.' });

const renditions = z.partialRecord(format, renditionAnswer);

export const trackAnswer = z
  .object({
    track_id: id,
    upload_id: id,
    job_id: id,
    meta,
    formats: renditions,
    created_at: z.string(),
  })
  .meta({ description: 'A published track with its renditions.' });

export const uploadAnswer = z
  .object({
    upload_id: id,
    status: z.literal('uploaded'),
    formats: z.array(format),
    sources: z
      .array(z.string())
      .meta({ description: 'Formats of its stored sources.' }),
    meta,
  })
  .meta({ description: 'A new upload, or the upload a source joined.' });

export const trackUpdateAnswer = z
  .object({
    result: z.literal('uploaded'),
    update_to: id.meta({ description: 'The track being updated.' }),
    update_id: id,
  })
  .meta({ description: 'With `track_id`: an update of a published track.' });

export const uploadResponse = z.union([uploadAnswer, trackUpdateAnswer]);

export const setMetadataResponse = z.object({
  result: success,
  upload_id: id,
  meta,
});

export const setFormatsResponse = z.object({
  result: success,
  track: z.object({
    upload_id: id,
    status: uploadStatus,
    formats: z.array(format),
    sources: z.array(z.string()),
    meta,
    added: z.array(format).meta({
      description: 'Formats to be generated rather than taken from a source.',
    }),
  }),
});

export const availableFieldsResponse = z.object({
  fields: z.array(z.string()).meta({
    description:
      'Standard field names; `{X}` and `{Y}` stand for numbers ' +
      '(`Writer 1 First Name`).',
  }),
  custom_fields: z.array(z.string()),
});

export const createJobResponse = z.object({ job_id: id });

export const publishResponse = z.object({
  result: success,
  job_id: id,
  queued: z.int().meta({ description: 'Uploads handed to transcoding.' }),
  oncomplete: z.string().nullable(),
});

export const deliveryAttempt = z
  .object({
    channel: z.enum(['webhook', 'email']),
    target: z.string().meta({
      description:
        'Where it went, masked: a webhook URL by its origin (scheme, ' +
        'host, port), an email address as m***@example.com.',
    }),
    eventId: z.string(),
    attempt: z.int(),
    at: z.string(),
    durationMs: z.number(),
    ok: z.boolean(),
    status: z.int().optional().meta({ description: 'HTTP status answered.' }),
    error: z.string().optional(),
  })
  .meta({ description: 'One attempt to deliver a completion notice.' });

export const checkJobResponse = z.object({
  job_id: id,
  state: jobState,
  q: z.int().meta({ description: 'Uploads waiting.' }),
  i: z.int().meta({ description: 'Uploads transcoding.' }),
  d: z.int().meta({ description: 'Uploads published.' }),
  e: z.int().meta({ description: 'Uploads errored.' }),
  deliveries: z.array(deliveryAttempt),
});

export const deleteResponse = z.object({
  result: success,
  deleted: z.int().meta({ description: 'Uploads and updates dropped.' }),
});

const trackUpdateState = z
  .object({
    update_id: id,
    status: uploadStatus,
    formats: z.array(format),
    immediate: z.boolean(),
    job_id: id
      .optional()
      .meta({ description: 'The job it waits in; none when immediate.' }),
    created_at: z.string(),
    superseded_formats: z.array(format).optional().meta({
      description:
        'Formats whose new file was dropped: a newer update (higher ' +
        'update_id) had replaced them already. Updates apply in id order.',
    }),
    error: z
      .string()
      .optional()
      .meta({ description: 'Why the update errored, for people.' }),
    error_code: z.enum(UPLOAD_ERROR_CODES).optional(),
  })
  .meta({
    description:
      'An update of the track (upload with track_id) and what became of ' +
      'it; an errored update left the track as it was.',
  });

export const listResponse = z.object({
  job_id: id,
  state: jobState,
  tracks: z.array(
    z.object({
      upload_id: id,
      track_id: id.nullable().meta({
        description:
          'The track a published upload made; kept after the track is ' +
          'deleted (its renditions then are not listed).',
      }),
      status: uploadStatus,
      formats: z.array(format),
      error: z
        .string()
        .optional()
        .meta({ description: 'Why the upload errored, for people.' }),
      error_code: z.enum(UPLOAD_ERROR_CODES).optional(),
      renditions: renditions.optional(),
      file_name: z.string().optional().meta({
        description:
          'A waiting or errored upload: the file name it was made from (of ' +
          'a URL source, the file fetched). While it waits, a later source ' +
          'of that name and another extension joins it.',
      }),
      source_seconds: z.number().optional().meta({
        description:
          "A waiting upload: its first source's length as the file's " +
          'header gives it, seconds (not decoded: a hint).',
      }),
    }),
  ),
  updates: z
    .array(trackUpdateState.extend({ track_id: id }))
    .optional()
    .meta({
      description:
        "The job's deferred track updates (upload with track_id and no " +
        'immediate), when it has any: checkJob counts them as uploads.',
    }),
});

export const getByIdResponse = z.object({
  track: trackAnswer.extend({
    updates: z
      .array(trackUpdateState)
      .meta({ description: "The track's latest 20 updates, oldest first." }),
  }),
});

export const searchResponse = z.object({
  total: z.int(),
  pg: z.int(),
  show: z.int(),
  tracks: z.array(trackAnswer),
});

export const trackDeleteResponse = z.object({
  result: success,
  track_id: id,
  formats: z.array(format).meta({ description: 'Renditions removed.' }),
});

const errorCodes = Object.keys(ERRORS) as [
  keyof typeof ERRORS,
  ...(keyof typeof ERRORS)[],
];

/** Every failed call answers this body, with a 4xx/5xx status. */
export const errorBody = z
  .looseObject({
    error: z.string().meta({ description: 'What went wrong, for people.' }),
    code: z.enum(errorCodes).meta({ description: 'Stable; for programs.' }),
  })
  .meta({
    description:
      'Some codes add fields: `fields` (unknown_fields), `formats` ' +
      '(invalid_format), `parameters` (invalid_parameter), `status` ' +
      '(upload_not_queued: what the upload is now), `http_status` ' +
      'or `content_encoding` (fetch_failed).',
  });
