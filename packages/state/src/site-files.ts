import type { Redis } from 'ioredis';
import { keys } from './keys';

/** A stored file a record names: its bytes as recorded. */
type Named = Record<string, { storageKey?: string; bytes?: number }>;

/**
 * The files a site's records name, storage key to bytes as recorded:
 * the sources of its uploads and track updates (waiting, published or
 * errored) and the renditions of its tracks. What INGEST_SITE_QUOTA
 * counts, read anew (`npm run site:usage -- --recount`); files no record
 * names (a crashed run's leftovers) are not among them.
 */
export async function filesOfSite(
  redis: Redis,
  siteId: number,
): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  const add = (json: unknown) => {
    if (typeof json !== 'string' || json === '') return;
    for (const file of Object.values(JSON.parse(json) as Named)) {
      if (file.storageKey) files.set(file.storageKey, file.bytes ?? 0);
    }
  };

  const jobIds = await redis.zrange(keys.siteJobs(siteId), 0, -1);
  for (const jobId of jobIds.map(Number)) {
    const [uploadIds, updateIds] = await Promise.all([
      redis.zrange(keys.jobUploads(jobId), 0, -1),
      redis.zrange(keys.jobUpdates(jobId), 0, -1),
    ]);
    const reads = redis.pipeline();
    for (const id of uploadIds.map(Number)) {
      reads.hmget(keys.upload(id), 'sources', 'trackId');
    }
    for (const id of updateIds.map(Number)) {
      reads.hmget(keys.update(id), 'sources');
    }
    const trackIds: number[] = [];
    for (const [, fields] of (await reads.exec()) ?? []) {
      const [sources, trackId] = (fields ?? []) as (string | null)[];
      add(sources);
      if (trackId) trackIds.push(Number(trackId));
    }

    const tracks = redis.pipeline();
    for (const id of trackIds) tracks.hmget(keys.track(id), 'siteId', 'renditions');
    for (const [, fields] of (await tracks.exec()) ?? []) {
      const [owner, renditions] = (fields ?? []) as (string | null)[];
      if (owner === String(siteId)) add(renditions);
    }
  }
  return files;
}
