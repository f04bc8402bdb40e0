import * as z from 'zod';
import { OUTPUT_FORMATS, isOutputFormat } from '@ingest/core';
import { ID_TEXT, PARAM_LIMITS } from '../http/params';

/**
 * The parameters of every endpoint (SPEC §1–§2), as zod schemas. They are
 * checked before a handler runs (http/endpoint.ts) and they are what the
 * OpenAPI document shows, so the two cannot drift apart. Values arrive as
 * text from query strings and forms, as text or numbers from JSON; blank
 * values count as absent. Unknown extra parameters are allowed: clients
 * send `token`, SourceAudio integrations send fields of their own.
 */

/** An issue message: `missing` when absent, else `problem`. */
function says(problem: string, missing = 'is required') {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? missing : problem;
}

const MAX_ID = 999_999_999_999_999;

/** A positive integer id, given as a number or as its decimal text. */
function idParam(description: string, or = '', missing?: string) {
  // A union answers the issue of the option whose type matched, so each
  // option carries the message.
  const problem = says(`must be a positive integer${or}`, missing);
  return z
    .union(
      [
        z
          .int({ error: problem })
          .min(1, { error: problem })
          .max(MAX_ID, { error: problem }),
        z.string({ error: problem }).regex(ID_TEXT, { error: problem }),
      ],
      { error: problem },
    )
    .meta({ description });
}

/** Lower-cases and trims text; other values pass as they are. */
function folded(value: unknown) {
  return typeof value === 'string' ? value.trim().toLowerCase() : value;
}

const FLAG_WORDS = ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'];

/** A yes/no switch: `1`/`0`, `true`/`false` (also yes/no, on/off). */
function flagParam(description: string) {
  const problem = 'must be 1, 0, true or false';
  return z
    .preprocess(
      folded,
      z.union(
        [z.boolean(), z.literal([0, 1]), z.enum(FLAG_WORDS)],
        { error: problem },
      ),
    )
    .meta({ description });
}

function textParam(description: string, examples?: string[]) {
  return z
    .string({ error: says('must be text') })
    .optional()
    .meta({ description, ...(examples ? { examples } : {}) });
}

/** A URL as text, held to PARAM_LIMITS.urlChars. */
function urlParam(description: string, examples: string[]) {
  const most = PARAM_LIMITS.urlChars;
  return z
    .string({ error: says('must be text') })
    .max(most, { error: `must be at most ${most} characters long` })
    .optional()
    .meta({ description, examples });
}

const FORMAT_LIST = OUTPUT_FORMATS.join(', ');

/** The items of a format value as sent (`mp3,wav` is two), folded. */
export function sentFormats(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(',')
      : [value];
  return items
    .map((item) => String(item).trim().toLowerCase())
    .filter(Boolean);
}

/** The items of a format list that are no output format. */
export function badFormats(value: unknown): string[] {
  return sentFormats(value).filter((item) => !isOutputFormat(item));
}

/** The most format values a refusal echoes, and the most of each. */
export const ECHO_LIMITS = { items: 10, chars: 50 };

/**
 * The values a refusal names back: the first few distinct ones, each
 * cut short, so a megabyte of unknown formats does not come back whole.
 */
export function echoed(items: readonly string[]): string[] {
  return [...new Set(items)]
    .slice(0, ECHO_LIMITS.items)
    .map((item) =>
      item.length > ECHO_LIMITS.chars
        ? `${item.slice(0, ECHO_LIMITS.chars)}…`
        : item,
    );
}

/** `a, b` of echoed(items), with "and N more" for distinct ones left out. */
export function echoText(items: readonly string[]): string {
  const distinct = new Set(items).size;
  const shown = echoed(items);
  if (shown.length === 0) return '(none given)';
  const more = distinct - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

const ONE_OF = `${OUTPUT_FORMATS.slice(0, -1).join(', ')} or ` +
  `${OUTPUT_FORMATS.at(-1)}`;

function formatProblem(issue: { input?: unknown }) {
  if (issue.input === undefined) return 'is required';
  return `must be ${ONE_OF}; unknown: ${echoText(badFormats(issue.input))}`;
}

/** One output format, any case. */
export const formatItem = z
  .preprocess(folded, z.enum(OUTPUT_FORMATS, { error: formatProblem }))
  .meta({ description: 'An output format, any case.' });

/** A list sent where one format is asked for is named as such. */
function oneFormatProblem(issue: { input?: unknown }) {
  const { input } = issue;
  const listed =
    Array.isArray(input) || (typeof input === 'string' && input.includes(','));
  if (!listed) return formatProblem(issue);
  const sent = echoText(sentFormats(input));
  return `must be one format (${ONE_OF}), not a list: ${sent}`;
}

/** The `format` parameter: one output format, any case. */
function oneFormat(description: string) {
  return z
    .preprocess(folded, z.enum(OUTPUT_FORMATS, { error: oneFormatProblem }))
    .meta({ description });
}

/** Output formats, as a list or as one comma-separated text. */
function formatsParam(description: string) {
  const commaList = z
    .string()
    .refine(
      (value) => {
        const items = value.split(',').map((s) => s.trim()).filter(Boolean);
        return items.length > 0 && badFormats(items).length === 0;
      },
      { error: formatProblem },
    )
    .meta({
      description: `Comma-separated, any case: ${FORMAT_LIST}.`,
      examples: ['mp3,wav'],
    });
  return z
    .union(
      [commaList, z.array(formatItem).min(1, { error: formatProblem })],
      { error: formatProblem },
    )
    .meta({
      description:
        `${description} A list (JSON array, \`formats[]=mp3&formats[]=wav\`, ` +
        'or `formats=mp3&formats=wav`) or one comma-separated text (`mp3,wav`).',
    });
}

const metaParam = z
  // null is read as a blank value (http/params.ts); it is not seen here.
  .record(z.string(), z.string().nullable(), {
    error: 'must be an object of field names to text',
  })
  .meta({
    description:
      'Metadata fields by name (see getAvailableFields). In a query ' +
      'string or form: `meta[Title]=…`; in JSON: an object, or literal ' +
      '`"meta[Title]"` keys. A blank value, or JSON null, clears the field.',
    examples: [{ Title: 'Blue Hour', 'Custom: External ID': 'X-12' }],
  });

/** Accepted by every endpoint; `Authorization: Bearer` works as well. */
const common = {
  token: textParam(
    "The site's API token, when no `Authorization: Bearer` header is sent.",
  ),
};

const jobId = idParam('A job of the site; default: the site\'s main job.');
const oncomplete = urlParam(
  'Told when the job completes: an http(s) URL (signed webhook) or one ' +
    'email address. One per job; a later value replaces the earlier one.',
  ['https://hooks.example.com/ingest'],
);

export const uploadParams = z.looseObject({
  ...common,
  url: urlParam(
    'Where to fetch the source. Required unless a multipart `file` is sent.',
    ['https://files.example.com/masters/blue-hour.wav'],
  ),
  formats: formatsParam(
    'Final formats of the track; default: the formats of its sources ' +
      'plus mp3. With `track_id`: the renditions the update replaces.',
  ).optional(),
  upload_id: idParam(
    'Attach this source to a queued upload as the source of its format.',
  ).optional(),
  track_id: idParam(
    'Update this published track instead of making a new upload.',
  ).optional(),
  immediate: flagParam(
    'With `track_id`: apply the update now instead of when its job ' +
      'publishes.',
  ).optional(),
  format: oneFormat(
    'With `track_id`: the one rendition the update replaces.',
  ).optional(),
  autopublish: flagParam(
    'Publish the job by itself once no autopublish upload came for a ' +
      'while, or once it holds many uploads.',
  ).optional(),
  meta: metaParam.optional(),
  job_id: jobId.optional(),
  oncomplete,
});

export const setMetadataParams = z.looseObject({
  ...common,
  upload_id: idParam('A queued upload.'),
  meta: metaParam.optional(),
});

export const setFormatsParams = z.looseObject({
  ...common,
  upload_id: idParam('A queued upload.'),
  formats: formatsParam('The final formats of its track.'),
});

export const noParams = z.looseObject({ ...common });

export const createJobParams = z.looseObject({
  ...common,
  name: textParam('A name for the job.'),
  email: textParam(
    "One address told when the job completes; default: the site's " +
      'contact address.',
  ),
  oncomplete,
});

export const publishParams = z.looseObject({
  ...common,
  job_id: jobId.optional(),
  oncomplete,
});

export const jobParams = z.looseObject({
  ...common,
  job_id: jobId.optional(),
});

export const deleteParams = z.looseObject({
  ...common,
  upload_id: z
    .union(
      [
        idParam('A queued upload.', ' or ALL'),
        z.preprocess(
          (v) => (typeof v === 'string' ? v.trim().toUpperCase() : v),
          z.literal('ALL'),
        ),
      ],
      { error: 'must be a positive integer or ALL' },
    )
    .meta({
      description:
        'A queued upload, or `ALL`: every unpublished upload and update ' +
        'of the site (of `job_id` when given).',
    })
    .optional(),
  update_id: idParam('A pending update of a published track.').optional(),
  job_id: idParam(
    'Only this job: `ALL` drops what waits in it alone, and an ' +
      '`upload_id` or `update_id` must be in it.',
  ).optional(),
});

/**
 * A published track, named by its own id: clients holding an upload id
 * (`download?upload_id=3`) are told where the track id comes from.
 */
const publishedTrack = idParam(
  'A published track.',
  '',
  'is required: the id of a published track, as /api/import/list ' +
    'answers it for each upload once its job is published (an ' +
    'upload_id is not taken here)',
);

export const trackParams = z.looseObject({
  ...common,
  track_id: publishedTrack,
});

export const downloadParams = z.looseObject({
  ...common,
  track_id: publishedTrack,
  format: oneFormat('The rendition to download; default: mp3.').optional(),
});

const WHOLE = /^[0-9]{1,9}$/;
const COUNTING = /^(?=[0-9]{1,9}$)0*[1-9][0-9]*$/;
/** A count of any size: larger ones are read as the cap. */
export const CAPPED_COUNTING = /^0*[1-9][0-9]*$/;

/**
 * A whole number of at least `min`; `capped` ones may be of any size
 * (the endpoint reads one above its cap as the cap).
 */
/** The most an uncapped count may be: nine digits. */
export const MAX_COUNT = 999_999_999;

function countParam(description: string, min: 0 | 1, capped = false) {
  const problem = capped
    ? `must be a whole number of at least ${min}`
    : `must be a whole number from ${min} to ${MAX_COUNT}`;
  const number = z.int({ error: problem }).min(min, { error: problem });
  const pattern = capped ? CAPPED_COUNTING : min === 1 ? COUNTING : WHOLE;
  return z
    .union(
      [
        capped ? number : number.max(MAX_COUNT, { error: problem }),
        z.string({ error: problem }).regex(pattern, { error: problem }),
      ],
      { error: problem },
    )
    .meta({ description });
}

export const searchParams = z.looseObject({
  ...common,
  s: textParam(
    'Words that Title, Artist, Album, Composer, Genre, ISRC or the ' +
      'Filename without an audio extension must hold (the last one also as a ' +
      'prefix); none: every indexed track; ' +
      'text without a letter or digit: no track.',
  ),
  show: countParam(
    'Tracks per page, default 50, at most 1000 (more is read as 1000).',
    1,
    true,
  ).optional(),
  pg: countParam(`Page number, from 0 to ${MAX_COUNT}.`, 0).optional(),
});
