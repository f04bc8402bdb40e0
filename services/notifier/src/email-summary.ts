import type { EmailReason } from '@ingest/queue';
import type { JobCompletedEvent } from './job-event';
import type { UploadLabel, UploadLabels } from './upload-labels';

export interface SummaryInput {
  reason: EmailReason;
  event: JobCompletedEvent;
  /** The job's name as the client gave it; shown in the body only. */
  jobName: string;
  /** File names and titles by upload id; one not in it shows by its id. */
  labels?: UploadLabels;
  /** For 'webhook-exhausted': where delivery failed and how. */
  webhook?: {
    origin: string;
    attempts: number;
    lastError: string;
    /** The site's window between such emails, in words (`hour`). */
    window?: string;
  };
}

export interface Summary {
  subject: string;
  text: string;
  html: string;
}

/**
 * The text and HTML of a job summary. The subject holds only numbers and
 * fixed words: no client data ever reaches a header.
 */
export function renderSummary(input: SummaryInput): Summary {
  const { event } = input;
  const { d, e } = event.counts;
  const subject =
    input.reason === 'webhook-exhausted'
      ? `Job ${event.job_id}: webhook delivery failed`
      : `Job ${event.job_id} complete: ${d} published, ${e} failed`;

  const lines = paragraphs(input);
  const text = lines
    .map((block) => block.map((l) => l.text).join('\n'))
    .join('\n\n');
  const html = htmlPage(lines.map((block) => block.map(htmlLine)));
  return { subject, text: `${text}\n`, html };
}

/** An email's HTML: one paragraph per block of lines given as HTML. */
export function htmlPage(blocks: string[][]): string {
  return [
    '<!doctype html><html><body style="font-family:sans-serif">',
    ...blocks.map((block) => `<p>${block.join('<br>\n')}</p>`),
    '</body></html>\n',
  ].join('\n');
}

interface Line {
  text: string;
  link?: string;
}

function paragraphs(input: SummaryInput): Line[][] {
  const { event } = input;
  const { q, i, d, e } = event.counts;
  const name = quotedName(input.jobName);
  const blocks: Line[][] = [];

  if (input.webhook) {
    const w = input.webhook;
    const times = w.attempts === 1 ? 'once' : `${w.attempts} times`;
    const hint = HINTS.find(([pattern]) => pattern.test(w.lastError));
    blocks.push([
      { text: `The completion webhook of job ${event.job_id}${name} to ` +
          `${w.origin} failed ${times} and will not be retried.` },
      { text: `Last error: ${w.lastError}` },
      ...(hint ? [{ text: hint[1] }] : []),
    ]);
    if (w.window) {
      blocks.push([
        { text: `Webhooks of this site that fail within the next ` +
            `${w.window} are listed together in one email then.` },
      ]);
    }
  }

  blocks.push([
    { text: `Job ${event.job_id}${name} is ${event.state}.` },
    { text: `Published: ${d}, failed: ${e}, waiting: ${q}, running: ${i}.` },
    { text: `Completed at ${event.completed_at}.` },
  ]);

  if (event.tracks.length > 0) {
    const block: Line[] = [{ text: 'Tracks:' }];
    for (const track of event.tracks.slice(0, LISTED)) {
      const names = namesOf(input.labels?.get(track.upload_id));
      block.push({
        text:
          `Track ${track.track_id} (upload ${track.upload_id}` +
          `${names && `, ${names}`})`,
      });
      for (const [format, rendition] of Object.entries(track.formats)) {
        const link = rendition.url;
        block.push({ text: `  ${format}: ${link}`, link });
      }
    }
    blocks.push([...block, ...more(event.tracks.length, 'tracks', event.job_id)]);
  }

  if (event.errors.length > 0) {
    blocks.push([
      { text: 'Failed uploads:' },
      ...event.errors.slice(0, LISTED).map((err) => {
        const names = namesOf(input.labels?.get(err.upload_id));
        return {
          text:
            `Upload ${err.upload_id}${names && ` (${names})`}: ` +
            `${err.error} [${err.error_code}]`,
        };
      }),
      ...more(event.errors.length, 'failed uploads', event.job_id),
    ]);
  }

  const updates = event.updates ?? [];
  if (updates.length > 0) {
    blocks.push([
      { text: 'Track updates:' },
      ...updates.slice(0, LISTED).map((u) => ({
        text:
          `Update ${u.update_id} of track ${u.track_id}: ` +
          (u.status === 'error' ? `${u.error} [${u.error_code}]` : 'published'),
      })),
      ...more(updates.length, 'track updates', event.job_id),
    ]);
  }

  blocks.push([{ text: 'Download links need your API token.' }]);
  return blocks;
}

/**
 * What the contact can do about a last error that no retry would have
 * changed; the error itself is a code (see the delivery log).
 */
const HINTS: [RegExp, string][] = [
  [
    /^address_not_allowed$/,
    'The URL leads to a private, loopback or link-local address, which ' +
      'this service does not send webhooks to. Give a public URL.',
  ],
  [
    /^HTTP 3\d\d$/,
    'The receiver answered with a redirect; webhooks are not sent on to ' +
      'another address. Give the final URL as oncomplete.',
  ],
];

/**
 * Most tracks, and most failed uploads, an email lists: a job holds up
 * to 1000 (the autopublish limit), which made a message of megabytes
 * that mail readers cut short. The API lists them all.
 */
export const LISTED = 100;

/** The line that says how many of `count` went unlisted, if any did. */
function more(count: number, what: string, jobId: number): Line[] {
  if (count <= LISTED) return [];
  return [
    {
      text:
        `…and ${count - LISTED} more ${what}: /api/import/list?job_id=${jobId} ` +
        'lists them all.',
    },
  ];
}

/** Longest name an email shows, in characters; longer ones are cut. */
const NAME_SHOWN = 100;

/**
 * Whitespace, C0 and C1 controls, line and paragraph separators, and the
 * bidirectional controls that can show a name reversed in part.
 */
const NOT_SHOWN =
  /[\s\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]+/g;

/**
 * A client's text (a job's name, a file name, a title) as an email shows
 * it: on one line, without control characters, at most NAME_SHOWN
 * characters. A client names things freely, and an email goes where its
 * `oncomplete` says: lines of a name's own (a "message" set out as the
 * sender's) stay out of it. Blank when nothing is left.
 */
export function shownText(name: string | undefined): string {
  const line = (name ?? '').replace(NOT_SHOWN, ' ').trim();
  const chars = [...line];
  return chars.length > NAME_SHOWN ? `${chars.slice(0, NAME_SHOWN).join('')}…` : line;
}

/** A file name's extension, as the gateway keeps one when it cuts a name. */
const EXTENSION = /\.[^.\s]{1,16}$/u;

/**
 * A file name as an email shows it (see shownText); one cut keeps its
 * extension after the `…`, so the person still sees what kind of file.
 */
export function shownFileName(name: string | undefined): string {
  const whole = [...(name ?? '').replace(NOT_SHOWN, ' ').trim()];
  const extension = EXTENSION.exec(whole.join(''))?.[0];
  if (whole.length <= NAME_SHOWN || !extension) return shownText(name);
  const kept = whole.slice(0, NAME_SHOWN - [...extension].length).join('');
  return `${kept}…${extension}`;
}

/** A job's name as an email shows it, quoted after a space, or ''. */
export function quotedName(name: string | undefined): string {
  const shown = shownText(name);
  return shown && ` "${shown}"`;
}

/** `file "a.wav", title "Song"`: what of these an upload has, or ''. */
function namesOf(label: UploadLabel | undefined): string {
  const file = shownFileName(label?.fileName);
  const title = shownText(label?.title);
  return [file && `file "${file}"`, title && `title "${title}"`]
    .filter(Boolean)
    .join(', ');
}

function htmlLine(line: Line): string {
  const text = escapeHtml(line.text.trim());
  if (!line.link) return text;
  const href = escapeHtml(line.link);
  return text.replace(href, `<a href="${href}">${href}</a>`);
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
