import { KEY_PREFIX } from '@ingest/queue';

/** Every state key, in one place. All share the queue's hash tag. */
export const keys = {
  seq: () => `${KEY_PREFIX}:seq`,
  site: (id: number) => `${KEY_PREFIX}:site:${id}`,
  siteJobs: (id: number) => `${KEY_PREFIX}:site:${id}:jobs`,
  token: (hash: string) => `${KEY_PREFIX}:token:${hash}`,
  job: (id: number) => `${KEY_PREFIX}:job:${id}`,
  jobUploads: (id: number) => `${KEY_PREFIX}:job:${id}:uploads`,
  jobDeliveries: (id: number) => `${KEY_PREFIX}:job:${id}:deliveries`,
  jobEvent: (id: number) => `${KEY_PREFIX}:job:${id}:event`,
  upload: (id: number) => `${KEY_PREFIX}:upload:${id}`,
  track: (id: number) => `${KEY_PREFIX}:track:${id}`,
  uploadLock: (siteId: number) => `${KEY_PREFIX}:site:${siteId}:uploading`,
};
