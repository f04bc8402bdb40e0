import { ApiError } from '@ingest/core';
import { isRedisTimeout } from '@ingest/queue';
import type { SiteUsage } from '@ingest/state';
import type { Storage } from '@ingest/storage';

/**
 * INGEST_SITE_QUOTA at the gateway: counts the sources a site stores and
 * removes, and refuses an upload from a site that holds its quota. The
 * transcoder holds renditions to what is left (transcode-processor.ts);
 * renditions are counted by the steps that record them in a track.
 */
export class SiteQuota {
  constructor(
    private readonly usage: SiteUsage,
    /** Bytes a site may hold; undefined: no limit, only counting. */
    private readonly quotaBytes?: number,
  ) {}

  /**
   * Throws 507 `quota_exceeded` when the site holds its quota. `ownBytes`:
   * those of the call's own file, stored (and counted) before the call's
   * parameters are checked, as a multipart file is; they do not count.
   * `freedBytes`: those of the renditions a track update replaces, which
   * go when it is applied (the transcoder counts them as left too).
   */
  async refuseWhenFull(siteId: number, ownBytes = 0, freedBytes = 0): Promise<void> {
    if (!this.quotaBytes) return;
    const held = (await this.usage.total(siteId)) - ownBytes;
    if (held - freedBytes < this.quotaBytes) return;
    const freed = freedBytes > 0
      ? `, ${freedBytes} of them in the renditions the update replaces`
      : '';
    throw new ApiError(
      'quota_exceeded',
      `the site holds ${held} bytes${freed}, its storage quota is ` +
        `${this.quotaBytes} (INGEST_SITE_QUOTA): delete tracks or ` +
        'uploads to make room',
      { used_bytes: held, quota_bytes: this.quotaBytes },
    );
  }

  stored(siteId: number, storageKey: string, bytes: number): Promise<void> {
    return this.usage.stored(siteId, storageKey, bytes);
  }

  /**
   * Removes a stored source, whose key names its site
   * (UploadService.receive): uncounted first (SiteUsage.remove).
   */
  async removeSource(storageKey: string, removeFile: () => Promise<void>) {
    const siteId = Number(/^sources\/(\d+)\//.exec(storageKey)?.[1]);
    if (siteId > 0) await this.usage.remove(siteId, storageKey, removeFile);
    else await removeFile();
  }
}

/** Removes a stored source from `storage`, and from the quota's count. */
export function removeSource(
  deps: { storage: Storage; quota?: SiteQuota },
  storageKey: string,
): Promise<void> {
  const removeFile = () => deps.storage.delete(storageKey);
  return deps.quota
    ? deps.quota.removeSource(storageKey, removeFile)
    : removeFile();
}

/**
 * Removes the source of a call refused with `refusal`, unless that is
 * Redis giving no answer to a write (isRedisTimeout): the write (an
 * upload made, a source attached) may still run once Redis answers
 * again, and then names the file. Kept, it is that upload's source, or
 * a file no record names, which `storage:sweep` takes.
 */
export async function removeRefusedSource(
  deps: { storage: Storage; quota?: SiteQuota },
  storageKey: string,
  refusal?: unknown,
): Promise<void> {
  if (!isRedisTimeout(refusal)) await removeSource(deps, storageKey);
}
