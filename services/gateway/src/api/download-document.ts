import { OUTPUT_FORMATS, contentTypeOf } from '@ingest/core';

type Json = Record<string, unknown>;

/** Of `/api/tracks/download`, in the OpenAPI document: what it reads. */
export const DOWNLOAD_REQUEST_HEADERS: Json[] = [
  header(
    'Range',
    'One byte range, `bytes=start-end`, `bytes=start-` or `bytes=-n`.',
    'bytes=0-1023',
  ),
  header(
    'If-Range',
    'The ETag or Last-Modified of the part a client holds: the range is ' +
      'sent only while the file is that version, else the whole file (200).',
    '"3a2e…"',
  ),
  header(
    'If-None-Match',
    'ETags the client holds: 304 with no body while the file is one of them.',
    '"3a2e…"',
  ),
  header(
    'If-Modified-Since',
    'Without If-None-Match: 304 unless the file changed after this date.',
    'Wed, 01 May 2024 10:00:03 GMT',
  ),
  header(
    'If-Match',
    'ETags the client expects: 412 `precondition_failed` otherwise.',
    '"3a2e…"',
  ),
  header(
    'If-Unmodified-Since',
    'Without If-Match: 412 `precondition_failed` if the file changed ' +
      'after this date.',
    'Wed, 01 May 2024 10:00:03 GMT',
  ),
];

function header(name: string, description: string, example: string): Json {
  return {
    name,
    in: 'header',
    required: false,
    description,
    schema: { type: 'string', examples: [example] },
  };
}

const audio = Object.fromEntries(
  OUTPUT_FORMATS.map((format) => [
    contentTypeOf(format),
    { schema: { type: 'string', contentMediaType: contentTypeOf(format) } },
  ]),
);

const VALIDATOR_HEADERS = {
  ETag: {
    description: "The rendition's sha256 (as getById shows it), quoted.",
    schema: { type: 'string', examples: ['"3a2e…"'] },
  },
  'Last-Modified': {
    description: 'When this version of the file was stored, where recorded.',
    schema: { type: 'string', examples: ['Wed, 01 May 2024 10:00:03 GMT'] },
  },
  'Cache-Control': { schema: { type: 'string', const: 'private, no-cache' } },
};

const DOWNLOAD_HEADERS = {
  ...VALIDATOR_HEADERS,
  'Content-Length': { schema: { type: 'integer' } },
  'Accept-Ranges': { schema: { type: 'string', const: 'bytes' } },
  'Content-Disposition': {
    description:
      "The track's Filename with the format as extension (song.wav gives " +
      'song.mp3), or `<track_id>.<format>` without one; `filename*` ' +
      '(RFC 8187) holds the exact name where the ASCII `filename` cannot.',
    schema: {
      type: 'string',
      examples: [
        'attachment; filename=song.mp3',
        `attachment; filename=Bjork.mp3; filename*=UTF-8''Bj%C3%B6rk.mp3`,
        'attachment; filename=12.mp3',
      ],
    },
  },
};

/** Of `/api/tracks/download`: the answers besides the JSON errors. */
export const DOWNLOAD_RESPONSES: Json = {
  200: {
    description: 'The whole file.',
    headers: DOWNLOAD_HEADERS,
    content: audio,
  },
  206: {
    description: 'The requested byte range.',
    headers: {
      ...DOWNLOAD_HEADERS,
      'Content-Range': {
        schema: { type: 'string', examples: ['bytes 0-1023/5120000'] },
      },
    },
    content: audio,
  },
  302: {
    description:
      'Redirect downloads (INGEST_DOWNLOAD_MODE): the file at a signed ' +
      'storage URL, valid for a short while. No ETag: the store answers ' +
      'ranges and conditions with its own validators.',
    headers: { Location: { schema: { type: 'string' } } },
  },
  304: {
    description:
      'If-None-Match or If-Modified-Since: the client holds this version.',
    headers: VALIDATOR_HEADERS,
  },
  416: {
    description: 'The range lies outside the file.',
    headers: {
      'Content-Range': {
        schema: { type: 'string', examples: ['bytes */5120000'] },
      },
    },
  },
};
