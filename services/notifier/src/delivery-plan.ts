import type { Job, Site } from '@ingest/core';
import type { EmailReason } from '@ingest/queue';
import { isSingleAddress } from '@ingest/core';

export type Delivery =
  | { channel: 'webhook'; url: string }
  | { channel: 'email'; to: string; reason: EmailReason };

export interface DeliveryPlan {
  deliveries: Delivery[];
  /** Targets that were set but are neither a URL nor one address. */
  skipped: number;
}

/**
 * Who hears about a completed job: the `oncomplete` target (URL or
 * address) and, for a job made by createJob, its email or the site's
 * contact. One address gets one summary even when named twice.
 */
export function planDeliveries(job: Job, site: Site | undefined): DeliveryPlan {
  const deliveries: Delivery[] = [];
  let skipped = 0;
  const target = job.oncomplete?.trim();

  if (target && isWebhookUrl(target)) {
    deliveries.push({ channel: 'webhook', url: target });
  } else if (target && isSingleAddress(target)) {
    deliveries.push({ channel: 'email', to: target, reason: 'oncomplete' });
  } else if (target) {
    skipped += 1;
  }

  const jobEmail = job.created ? (job.email ?? site?.contactEmail) : undefined;
  const already = target?.toLowerCase() === jobEmail?.toLowerCase();
  if (jobEmail && isSingleAddress(jobEmail) && !already) {
    deliveries.push({ channel: 'email', to: jobEmail, reason: 'job-email' });
  } else if (jobEmail && !already) {
    skipped += 1;
  }

  return { deliveries, skipped };
}

export function isWebhookUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
