import { KEY_PREFIX } from '@ingest/queue';

/** Every state key, in one place. All share the queue's hash tag. */
export const keys = {
  seq: () => `${KEY_PREFIX}:seq`,
  /** This Redis's catalog id, which the store is marked with. */
  catalog: () => `${KEY_PREFIX}:catalog`,
  /** The id of the store that holds this catalog's files (its mark's). */
  store: () => `${KEY_PREFIX}:store`,
  site: (id: number) => `${KEY_PREFIX}:site:${id}`,
  siteJobs: (id: number) => `${KEY_PREFIX}:site:${id}:jobs`,
  token: (hash: string) => `${KEY_PREFIX}:token:${hash}`,
  /** The site a token `npm run site:rotate` replaced belonged to. */
  revokedToken: (hash: string) => `${KEY_PREFIX}:revoked-token:${hash}`,
  /** Hashes of the webhook secrets site:rotate replaced for a site. */
  siteRetiredSecrets: (id: number) => `${KEY_PREFIX}:site:${id}:retired-secrets`,
  /**
   * How many times a site's token was replaced: each rotation moves it,
   * and watches it, so two at once take turns (site-credentials.ts).
   */
  siteTokenRotations: (id: number) => `${KEY_PREFIX}:site:${id}:token-rotations`,
  job: (id: number) => `${KEY_PREFIX}:job:${id}`,
  jobUploads: (id: number) => `${KEY_PREFIX}:job:${id}:uploads`,
  jobDeliveries: (id: number) => `${KEY_PREFIX}:job:${id}:deliveries`,
  jobEvent: (id: number) => `${KEY_PREFIX}:job:${id}:event`,
  upload: (id: number) => `${KEY_PREFIX}:upload:${id}`,
  /**
   * Storage keys of renditions the upload's runs stored or are storing
   * and no track names yet: removed once the upload is finished.
   */
  uploadFiles: (id: number) => `${KEY_PREFIX}:upload:${id}:files`,
  /**
   * The live runs of one transcode queue job (its BullMQ id), each
   * (`<renewal ms>/<id>`) with the Redis time its presence lasts until
   * (run-presence.ts).
   */
  queueJobRuns: (bullJobId: string) => `${KEY_PREFIX}:runs:${bullJobId}`,
  /** Upload ids of a job by file-name stem, for secondary sources. */
  jobStems: (id: number) => `${KEY_PREFIX}:job:${id}:stems`,
  /** Upload ids of a job by the sha256 of their bytes, for duplicates. */
  jobShas: (id: number) => `${KEY_PREFIX}:job:${id}:shas`,
  /** A site's answer to one Idempotency-Key (key given hashed). */
  idempotency: (siteId: number, keyHash: string) =>
    `${KEY_PREFIX}:site:${siteId}:idem:${keyHash}`,
  /**
   * What of a job was sent with autopublish=1 and still waits, as
   * `upload:<id>` / `update:<id>`: an idle timer with none left does not
   * publish the job.
   */
  jobAutopublish: (id: number) => `${KEY_PREFIX}:job:${id}:autopublish`,
  jobUpdates: (id: number) => `${KEY_PREFIX}:job:${id}:updates`,
  update: (id: number) => `${KEY_PREFIX}:update:${id}`,
  track: (id: number) => `${KEY_PREFIX}:track:${id}`,
  /** Every update of a track, newest last (getById shows the latest). */
  trackUpdates: (id: number) => `${KEY_PREFIX}:track:${id}:updates`,
  /**
   * Bytes a site holds in storage: each stored key's size, and their
   * total (site-usage.ts), for INGEST_SITE_QUOTA.
   */
  siteStored: (siteId: number) => `${KEY_PREFIX}:site:${siteId}:stored`,
  siteStoredTotal: (siteId: number) =>
    `${KEY_PREFIX}:site:${siteId}:stored:total`,
  /**
   * Bytes the site's transcode runs hold for renditions not stored yet:
   * each run's reservation, and when it lapses unless renewed
   * (site-reservations.ts).
   */
  siteReserved: (siteId: number) => `${KEY_PREFIX}:site:${siteId}:reserved`,
  siteReservedUntil: (siteId: number) =>
    `${KEY_PREFIX}:site:${siteId}:reserved:until`,
  uploadLock: (siteId: number) => `${KEY_PREFIX}:site:${siteId}:uploading`,
  /**
   * Give-up emails to one contact address of a site (address given
   * hashed): the window in which one was sent, and the job ids of the
   * give-ups held since for the window's digest.
   */
  contactWindow: (siteId: number, toHash: string) =>
    `${KEY_PREFIX}:site:${siteId}:contact:${toHash}:window`,
  contactHeld: (siteId: number, toHash: string) =>
    `${KEY_PREFIX}:site:${siteId}:contact:${toHash}:held`,
  /** The give-ups one digest email lists, kept across its retries. */
  contactDigest: (siteId: number, toHash: string, digestId: string) =>
    `${KEY_PREFIX}:site:${siteId}:contact:${toHash}:digest:${digestId}`,
  /** The id of the digest the held give-ups are waiting for. */
  contactBatch: (siteId: number, toHash: string) =>
    `${KEY_PREFIX}:site:${siteId}:contact:${toHash}:batch`,
  /**
   * Every digest not yet sent, as `<site id>:<address hash>:<digest id>`:
   * when its email job is to be made again should it be gone (a sorted
   * set), and the address it goes to (a hash).
   */
  contactDue: () => `${KEY_PREFIX}:contact:due`,
  contactDueTo: () => `${KEY_PREFIX}:contact:due:to`,
  /**
   * When a site's job-completion emails go out (email-pace.ts): each
   * email job's id, scored by the time it may be sent.
   */
  emailPace: (siteId: number) => `${KEY_PREFIX}:site:${siteId}:email-pace`,
  /** A site's webhook slots in use across notifiers, as leases. */
  webhookLeases: (siteId: number) =>
    `${KEY_PREFIX}:site:${siteId}:webhook-slots`,
  /** Search: the site's token → track ids sets, vocabulary and all ids. */
  searchSite: (siteId: number) => `${KEY_PREFIX}:search:${siteId}`,
  /** Search: what one track is indexed under, for its removal. */
  searchDoc: (trackId: number) => `${KEY_PREFIX}:search:doc:${trackId}`,
  searchTemp: (id: string) => `${KEY_PREFIX}:search:tmp:${id}`,
};
