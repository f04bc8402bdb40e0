import type { Redis } from 'ioredis';
import { keys } from './keys';
import { SOURCES_REMOVED } from './track-sources';

/** A stored file a record names: its bytes as recorded. */
type Named = Record<string, { storageKey?: string; bytes?: number }>;

/**
 * The files a site's records name, storage key to bytes as recorded:
 * the sources of its uploads and track updates (waiting or published;
 * not those removed when they errored or with their track) and the renditions of
 * its tracks. What INGEST_SITE_QUOTA
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
    const trackIds: number[] = [];
    const uploads = uploadIds.map((id) => keys.upload(Number(id)));
    await sourcesOf(redis, uploads, add, (trackId) => trackIds.push(trackId));
    await sourcesOf(redis, updateIds.map((id) => keys.update(Number(id))), add);

    const tracks = redis.pipeline();
    for (const id of trackIds) tracks.hmget(keys.track(id), 'siteId', 'renditions');
    for (const id of trackIds) tracks.zrange(keys.trackUpdates(id), 0, -1);
    const read = (await tracks.exec()) ?? [];
    const updates: string[] = [];
    read.slice(0, trackIds.length).forEach(([, fields], i) => {
      const [owner, renditions] = (fields ?? []) as (string | null)[];
      if (owner !== String(siteId)) return;
      add(renditions);
      // Immediate updates are in no job.
      const ids = (read[trackIds.length + i][1] ?? []) as string[];
      updates.push(...ids.map((id) => keys.update(Number(id))));
    });
    await sourcesOf(redis, updates, add);
  }
  return files;
}

/**
 * Adds the sources of uploads or updates (`records`) to what `add`
 * counts, save those removed with their track; `track` is told each
 * upload's track id.
 */
async function sourcesOf(
  redis: Redis,
  records: string[],
  add: (json: unknown) => void,
  track?: (trackId: number) => void,
): Promise<void> {
  const reads = redis.pipeline();
  for (const record of records) {
    reads.hmget(record, 'sources', SOURCES_REMOVED, 'trackId');
  }
  for (const [, fields] of (await reads.exec()) ?? []) {
    const [sources, removed, trackId] = (fields ?? []) as (string | null)[];
    if (!removed) add(sources);
    if (trackId && track) track(Number(trackId));
  }
}
