import type { Readable } from 'node:stream';
import { RetryLaterError, type TypedJob } from '@ingest/queue';
import { signingSecrets, type StateStore } from '@ingest/state';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { ContactNotices } from './contact-notices';
import type { DeliveryRecorder } from './delivery-recorder';
import { isSingleAddress } from '@ingest/core';
import type { Outcome } from './notifier-metrics';
import { retryAfterMs } from './retry-after';
import type { SiteLeases } from './site-leases';
import { SiteSlots } from './site-slots';
import { signWebhook } from './webhook-signer';

/** The part of `@ingest/net`'s safeRequest the notifier uses. */
export type WebhookPost = (
  url: string,
  options: {
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    timeoutMs: number;
    maxRedirects: number;
    allowPrivate: boolean;
    signal?: AbortSignal;
  },
) => Promise<{
  status: number;
  body: Readable;
  headers?: Record<string, string | string[] | undefined>;
}>;

export interface WebhookProcessorDeps {
  store: StateStore;
  post: WebhookPost;
  /** Tells the site's contact of a give-up, at most once a window. */
  notices: ContactNotices;
  recorder: DeliveryRecorder;
  /** Per-attempt time limit of the request in ms. */
  timeoutMs: number;
  allowPrivateUrls: boolean;
  /**
   * Aborted when the notifier, shutting down, hands back its deliveries:
   * a POST still waiting for its answer is dropped, and not logged.
   */
  signal?: AbortSignal;
  /** Tells a put-off that Redis refused; none by default. */
  logger?: { warn(fields: object, message: string): void };
  /** The webhook slots in use, by site; default: a SiteSlots of its own. */
  slots?: SiteSlots;
  /** The same across notifiers; none: each notifier counts its own. */
  leases?: SiteLeases;
  now?: () => Date;
}

/** What one POST came to. */
interface Attempt {
  status?: number;
  error?: string;
  /** The target can never take this event (e.g. a malformed URL). */
  permanent?: boolean;
  /** Cut short by a shutdown: logged, then the job is handed back. */
  cutShort?: unknown;
  /** How long the receiver asked to wait before the next try (ms). */
  retryAfterMs?: number;
}

/**
 * Delivers a job's stored event to one URL. 2xx ends the job, 410 stops
 * it for good, anything else throws so the queue retries on the
 * schedule (later when the answer's Retry-After asks so); the last
 * failure tells the site's contact.
 */
export function createWebhookProcessor(deps: WebhookProcessorDeps) {
  const now = deps.now ?? (() => new Date());
  const slots = deps.slots ?? new SiteSlots();

  return async (
    job: TypedJob<'webhook'>,
    token?: string,
  ): Promise<{ status: number }> => {
    const { jobId, eventId, url, requestId } = job.data;
    const attempt = job.attemptsMade + 1;
    const isLast = attempt >= (job.opts.attempts ?? 1);

    const body = await deps.store.deliveries.getEvent(jobId);
    const owner = await deps.store.jobById(jobId);
    const site = owner && (await deps.store.getSite(owner.siteId));
    if (!body || !site) throw new UnrecoverableError('event or site missing');

    // A site past its share of the slots, with none to spare, gets this
    // one later, no attempt counted: its slow receiver holds up itself,
    // not the other sites (see SiteSlots, SiteLeases).
    const slot =
      token === undefined ? undefined : await takeSlot(deps, slots, site.id);
    if (token !== undefined && !slot) return putOff(job, token, deps);

    const startedAt = now();
    const started = performance.now();
    let result: Attempt;
    try {
      result = await post(deps, url, {
        body,
        headers: signWebhook({
          secret: signingSecrets(site, startedAt.getTime()),
          id: eventId,
          timestamp: startedAt.getTime() / 1000,
          body,
        }),
      });
    } finally {
      if (slot) {
        slots.release(site.id);
        if (slot.lease) await deps.leases?.release(site.id, slot.lease);
      }
    }
    const durationMs = performance.now() - started;

    const outcome = outcomeOf(result, isLast);
    await deps.recorder.record({
      channel: 'webhook',
      jobId,
      eventId,
      requestId,
      target: originOf(url),
      attempt,
      startedAt,
      durationMs,
      outcome,
      status: result.status,
      error: result.error,
    });
    // Sent again after the hand-back, with the same webhook-id.
    if (result.cutShort) throw result.cutShort;

    if (outcome === 'delivered') return { status: result.status as number };
    if (outcome === 'stopped_410') {
      throw new UnrecoverableError('webhook answered 410 Gone');
    }

    const reason = result.error ?? `webhook answered ${result.status}`;
    if (outcome === 'retry') {
      // A 429 or 503 may say when to come back; the retry waits for it.
      throw result.retryAfterMs === undefined
        ? new Error(reason)
        : new RetryLaterError(reason, result.retryAfterMs);
    }

    const contact = site.contactEmail;
    if (contact && isSingleAddress(contact)) {
      const told = { siteId: site.id, to: contact, jobId, eventId, requestId };
      await deps.notices.gaveUp(told);
    }
    throw new UnrecoverableError(reason);
  };
}

/**
 * Takes a slot of the site in this notifier and, with `leases`, one
 * across notifiers; undefined when either has none for it. Should Redis
 * refuse the lease, this notifier's count is the limit this time.
 */
async function takeSlot(
  deps: WebhookProcessorDeps,
  slots: SiteSlots,
  siteId: number,
): Promise<{ lease?: string } | undefined> {
  if (!slots.take(siteId)) return undefined;
  if (!deps.leases) return {};
  try {
    const lease = await deps.leases.take(siteId);
    if (lease) return { lease };
  } catch (err) {
    const fields = { siteId, err: (err as Error).message };
    deps.logger?.warn(fields, 'webhook slot lease failed; counted here only');
    return {};
  }
  slots.release(siteId);
  return undefined;
}

/**
 * Puts the job back to wait about one attempt's time limit, by when the
 * site's slots have come free, spread so that its waiting deliveries do
 * not all come back at once.
 */
async function putOff(
  job: TypedJob<'webhook'>,
  token: string,
  deps: WebhookProcessorDeps,
): Promise<never> {
  // Shutting down: the hand-back puts it back itself.
  if (deps.signal?.aborted) throw new Error('handed back');
  const delayMs = Math.round(deps.timeoutMs * (0.5 + Math.random()));
  try {
    await job.moveToDelayed(Date.now() + delayMs, token);
  } catch (err) {
    // Thrown on, Redis's error would fail the run and count an attempt
    // that sent nothing. Left active instead, the job is given back by
    // the stalled check once its lock lapses: later, no attempt counted.
    deps.logger?.warn(
      { queue: job.queueName, bullJobId: job.id, err: (err as Error).message },
      'webhook put-off failed; the job comes back when its lock lapses',
    );
  }
  // Tells BullMQ that the job was moved (or left) on purpose.
  throw new DelayedError();
}

async function post(
  deps: WebhookProcessorDeps,
  url: string,
  request: { body: string; headers: Record<string, string> },
): Promise<Attempt> {
  try {
    const response = await deps.post(url, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json' },
      body: request.body,
      timeoutMs: deps.timeoutMs,
      maxRedirects: 0,
      allowPrivate: deps.allowPrivateUrls,
      signal: deps.signal,
    });
    // The answer's body is of no use; drop it so the socket is freed.
    response.body.destroy();
    return {
      status: response.status,
      retryAfterMs: retryAfterMs(response.headers?.['retry-after'], Date.now()),
    };
  } catch (err) {
    // The receiver may have seen it, so the log keeps it (SPEC §4: every
    // attempt); the job is then handed back.
    if (deps.signal?.aborted) {
      return { error: 'cut_short_by_shutdown', cutShort: err };
    }
    const code = codeOf(err);
    // A malformed URL or a forbidden address will not change on retry.
    const permanent = code === 'bad_url' || code === 'address_not_allowed';
    return { error: code, permanent };
  }
}

function outcomeOf(result: Attempt, isLast: boolean): Outcome {
  const { status } = result;
  if (status !== undefined && status >= 200 && status < 300) return 'delivered';
  if (status === 410) return 'stopped_410';
  // Handed back, the attempt runs again, even the last one: no give-up.
  if (result.cutShort) return 'retry';
  return isLast || result.permanent ? 'gave_up' : 'retry';
}

/**
 * A short, stable reason for the delivery log. NetError codes as they
 * are; other errors by their system code or class, never their message,
 * which may quote the URL.
 */
function codeOf(err: unknown): string {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code) return code;
  return typeof name === 'string' && name ? name : 'request_failed';
}

/** Only the origin is kept: a query string may hold the client's token. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '[invalid url]';
  }
}
