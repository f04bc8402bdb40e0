import type { TypedJob } from '@ingest/queue';
import type { StateStore, UpdateStore } from '@ingest/state';
import type { Logger } from '@ingest/telemetry';
import { UnrecoverableError } from 'bullmq';
import type { DeliveryJobs } from './delivery-jobs';
import { planDeliveries } from './delivery-plan';
import { buildJobEvent, eventIdOf } from './job-event';

export interface CompletionProcessorDeps {
  store: StateStore;
  /** The job's deferred track updates, which its event lists too. */
  updates: Pick<UpdateStore, 'idsOf' | 'many'>;
  jobs: DeliveryJobs;
  logger: Logger;
  /** Base URL of the gateway, for download links. */
  publicUrl: string;
  now?: () => Date;
}

export interface CompletionResult {
  eventId: string;
  deliveries: number;
}

/**
 * Turns a completed job into its event, stored once (only when there is
 * someone to tell), and one delivery job per target. Running it again
 * rebuilds nothing that was stored and adds no delivery twice.
 */
export function createCompletionProcessor(deps: CompletionProcessorDeps) {
  const now = deps.now ?? (() => new Date());

  return async (job: TypedJob<'completion'>): Promise<CompletionResult> => {
    const { jobId, requestId } = job.data;
    const owner = await deps.store.jobById(jobId);
    if (!owner) throw new UnrecoverableError('job not found');
    // Thrown, not skipped: the queue retries until the job is complete.
    if (owner.state !== 'complete') throw new Error('job not complete yet');

    const eventId = eventIdOf(owner);
    const site = await deps.store.getSite(owner.siteId);
    const plan = planDeliveries(owner, site);
    // The event is stored for its deliveries' retries alone, and is kept
    // with the job: one that tells no one would keep a copy of every
    // track's facts that nothing ever reads.
    const needed = plan.deliveries.length > 0;
    if (needed && !(await deps.store.deliveries.getEvent(jobId))) {
      const [counts, uploads, updates] = await Promise.all([
        deps.store.counts(jobId),
        deps.store.listUploads(jobId),
        deps.updates.idsOf(jobId).then((ids) => deps.updates.many(ids)),
      ]);
      const trackIds = [
        ...uploads.flatMap((u) => (u.trackId ? [u.trackId] : [])),
        ...updates.map((u) => u.trackId),
      ];
      const tracks = await deps.store.tracksOf([...new Set(trackIds)]);
      const event = buildJobEvent({
        job: owner,
        counts,
        uploads,
        updates,
        tracks,
        publicUrl: deps.publicUrl,
        now: now(),
      });
      await deps.store.deliveries.putEvent(jobId, JSON.stringify(event));
    }

    for (const delivery of plan.deliveries) {
      if (delivery.channel === 'webhook') {
        await deps.jobs.webhook({
          jobId,
          eventId,
          url: delivery.url,
          requestId,
        });
      } else {
        // The client chose the address: paced per site (EmailPace).
        await deps.jobs.pacedEmail(owner.siteId, {
          jobId,
          eventId,
          to: delivery.to,
          reason: delivery.reason,
          requestId,
        });
      }
    }

    deps.logger.info(
      {
        jobId,
        requestId,
        queue: 'completion',
        attempt: job.attemptsMade + 1,
        deliveries: plan.deliveries.length,
        skipped: plan.skipped,
      },
      'deliveries queued',
    );
    return { eventId, deliveries: plan.deliveries.length };
  };
}
