import type { TypedJob } from '@ingest/queue';
import type { StateStore } from '@ingest/state';
import type { Logger } from '@ingest/telemetry';
import { UnrecoverableError } from 'bullmq';
import { isSingleAddress, maskAddress } from '@ingest/core';
import type { ContactNotices, HeldGiveUps } from './contact-notices';
import type { DeliveryRecorder } from './delivery-recorder';
import { digestInput, renderDigest, spanText } from './digest-summary';
import { renderSummary, type Summary, type SummaryInput } from './email-summary';
import type { JobCompletedEvent } from './job-event';
import type { MailSender } from './mail-sender';
import { uploadLabels } from './upload-labels';
import type { Outcome } from './notifier-metrics';
import { describeSendError, refusedForGood } from './send-error';

export interface EmailProcessorDeps {
  store: StateStore;
  sender: MailSender;
  recorder: DeliveryRecorder;
  /** What a digest of webhook give-ups lists (see ContactNotices). */
  notices: ContactNotices;
  /**
   * Aborted when the notifier, shutting down, hands back its deliveries:
   * a send still in progress is given up, and not logged.
   */
  signal?: AbortSignal;
  now?: () => Date;
  /** Told of a digest that ends with nothing to send (see digestOf). */
  logger?: Logger;
}

/**
 * Sends a job's summary to one address. An address that is not exactly
 * one plain mailbox is refused, never sent; a failed send throws so the
 * queue retries on the email schedule, unless the server refused the
 * recipient or the message for good (a 5xx reply).
 */
export function createEmailProcessor(deps: EmailProcessorDeps) {
  const now = deps.now ?? (() => new Date());

  return async (job: TypedJob<'email'>): Promise<void> => {
    const { jobId, eventId, to, requestId } = job.data;
    const attempt = job.attemptsMade + 1;
    const isLast = attempt >= (job.opts.attempts ?? 1);
    const base = {
      channel: 'email' as const,
      jobId,
      eventId,
      requestId,
      target: maskAddress(to),
      attempt,
    };

    if (!isSingleAddress(to)) {
      await deps.recorder.record({
        ...base,
        startedAt: now(),
        durationMs: 0,
        outcome: 'gave_up',
        error: 'invalid_address',
      });
      throw new UnrecoverableError('refused: not a single plain address');
    }

    const digest = await digestOf(deps, job.data);
    if (digest === 'no site') {
      const reason =
        'it names no site (queued by an earlier release), its first job is ' +
        'gone, and no site holds give-ups for its address (another digest told them)';
      deps.logger?.warn({ jobId, eventId, to: base.target, reason }, 'digest not sent');
      return;
    }
    // Nothing held: the digest's give-ups were told already.
    if (digest?.jobIds.length === 0) {
      await deps.notices.done(digest.siteId, job.data);
      return;
    }
    const summary =
      digest?.summary ??
      renderSummary(await summaryInput(deps, job.data));
    const startedAt = now();
    const started = performance.now();
    let error: string | undefined;
    let refused = false;
    try {
      const mail = { to, ...summary, key: String(job.id), jobId };
      const sending = deps.sender.send(mail, deps.signal);
      await untilAborted(sending, deps.signal);
    } catch (err) {
      // Handed back, to be sent again (same Message-ID), not an attempt.
      if (deps.signal?.aborted) throw err;
      error = describeSendError(err);
      refused = refusedForGood(err);
    }

    const outcome: Outcome = !error
      ? 'delivered'
      : isLast || refused
        ? 'gave_up'
        : 'retry';
    await deps.recorder.record({
      ...base,
      startedAt,
      durationMs: performance.now() - started,
      outcome,
      error,
      // A digest's row goes to each job it lists that still exists.
      logTo: digest && digest.jobIds.filter((id) => !digest.gone.includes(id)),
    });
    if (digest && outcome !== 'retry') {
      await deps.notices.done(digest.siteId, job.data);
    }
    if (refused) throw new UnrecoverableError(`email refused: ${error}`);
    if (error) throw new Error(`email not sent: ${error}`);
  };
}

interface Digest extends HeldGiveUps {
  siteId: number;
  summary: Summary;
}

/**
 * A digest's jobs and its text; undefined for any other email. It lists
 * what it can: a job gone since it gave up is named by its id. A digest
 * added before digests named their site is its first job's, or, that job
 * gone, the one holding give-ups for its address; `no site` when none
 * does, as nothing is left for it to tell.
 */
async function digestOf(
  deps: EmailProcessorDeps,
  data: TypedJob<'email'>['data'],
): Promise<Digest | 'no site' | undefined> {
  if (data.reason !== 'webhook-digest') return undefined;
  const siteId =
    data.siteId ??
    (await deps.store.jobById(data.jobId))?.siteId ??
    (await deps.notices.siteHolding(data));
  if (siteId === undefined) return 'no site';
  const held = await deps.notices.held(siteId, data);
  const windowMs = deps.notices.windowMs;
  const input = await digestInput(deps.store, held, windowMs);
  return { siteId, ...held, summary: renderDigest(input) };
}

async function summaryInput(
  deps: EmailProcessorDeps,
  data: TypedJob<'email'>['data'],
): Promise<SummaryInput> {
  const { store } = deps;
  const stored = await store.deliveries.getEvent(data.jobId);
  if (!stored) throw new UnrecoverableError('event missing');
  const event = JSON.parse(stored) as JobCompletedEvent;
  const job = await store.jobById(data.jobId);
  const input: SummaryInput = {
    reason: data.reason,
    event,
    jobName: job?.name ?? '',
    labels: await uploadLabels(store, event),
  };
  if (data.reason !== 'webhook-exhausted') return input;

  const attempts = (await store.deliveries.list(data.jobId)).filter(
    (d) => d.channel === 'webhook' && d.eventId === data.eventId,
  );
  const last = attempts.at(-1);
  input.webhook = {
    origin: last?.target ?? 'the webhook URL',
    attempts: attempts.length,
    lastError:
      last?.error ?? (last?.status ? `HTTP ${last.status}` : 'unknown'),
    window: spanText(deps.notices.windowMs),
  };
  return input;
}

/**
 * Waits for `work` unless `signal` aborts first. The SMTP sender closes
 * its connection then; a sender that cannot stop half-way loses it when
 * the process ends.
 */
function untilAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', onAbort);
    });
  });
}
