import type { StateStore } from '@ingest/state';
import { escapeHtml, htmlPage, quotedName, type Summary } from './email-summary';

/** Jobs a digest describes one by one; the rest it names by id. */
export const DIGEST_DETAILED = 50;

/** One job whose webhook gave up, as a digest lists it. */
export interface DigestEntry {
  jobId: number;
  jobName: string;
  origin: string;
  attempts: number;
  lastError: string;
}

export interface DigestInput {
  /** Every job the digest is about, by id. */
  jobIds: number[];
  /** The first DIGEST_DETAILED of those that still exist, described. */
  entries: DigestEntry[];
  /** Those that no longer exist (removed from Redis since they gave up). */
  gone: number[];
  /** The site's window between two such emails, ms. */
  windowMs: number;
}

/** Reads what a digest tells of each job from the delivery logs. */
export async function digestInput(
  store: StateStore,
  held: { jobIds: number[]; gone: number[] },
  windowMs: number,
): Promise<DigestInput> {
  const { jobIds, gone } = held;
  const entries: DigestEntry[] = [];
  const goneIds = new Set(gone);
  const present = jobIds.filter((id) => !goneIds.has(id));
  for (const jobId of present.slice(0, DIGEST_DETAILED)) {
    const job = await store.jobById(jobId);
    const attempts = (await store.deliveries.list(jobId)).filter(
      (d) => d.channel === 'webhook',
    );
    const last = attempts.at(-1);
    entries.push({
      jobId,
      jobName: job?.name ?? '',
      origin: last?.target ?? 'the webhook URL',
      attempts: attempts.length,
      lastError:
        last?.error ?? (last?.status ? `HTTP ${last.status}` : 'unknown'),
    });
  }
  return { jobIds, entries, gone, windowMs };
}

/**
 * The email that lists the webhook give-ups of a site held during one
 * window. The subject holds only numbers and fixed words.
 */
export function renderDigest(input: DigestInput): Summary {
  const count = input.jobIds.length;
  const jobs = count === 1 ? '1 job' : `${count} jobs`;
  const subject = `Webhook delivery failed for ${jobs}`;

  const blocks: string[][] = [
    [
      `The completion webhooks of ${jobs} failed and will not be retried.`,
      `This address is told of failed webhooks at most once every ` +
        `${spanText(input.windowMs)}; these are the failures since the ` +
        'last such email.',
    ],
    input.entries.map((entry) => {
      const name = quotedName(entry.jobName);
      const times = entry.attempts === 1 ? 'once' : `${entry.attempts} times`;
      return (
        `Job ${entry.jobId}${name}: ${entry.origin} failed ${times}; ` +
        `last error: ${entry.lastError}`
      );
    }),
  ];
  const gone = new Set(input.gone);
  const rest = input.jobIds
    .filter((id) => !gone.has(id))
    .slice(input.entries.length);
  if (rest.length > 0) {
    blocks.push([`And ${rest.length} more: jobs ${rest.join(', ')}.`]);
  }
  if (input.gone.length > 0) {
    const [some, exist] =
      input.gone.length === 1 ? ['job', 'exists'] : ['jobs', 'exist'];
    blocks.push([
      `And ${input.gone.length} ${some} that no longer ${exist}: ` +
        `${some} ${input.gone.join(', ')}.`,
    ]);
  }
  blocks.push(["Each job's delivery log (checkJob) lists every attempt."]);

  const text = blocks.map((block) => block.join('\n')).join('\n\n');
  const html = htmlPage(blocks.map((block) => block.map(escapeHtml)));
  return { subject, text: `${text}\n`, html };
}

/** A window in words: `hour`, `2 hours`, `30 minutes`, `5 seconds`. */
export function spanText(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return n === 1 ? unit : `${n} ${unit}s`;
    }
  }
  return `${ms} ms`;
}
