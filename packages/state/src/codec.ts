import type { Job, Site, Track, Upload } from '@ingest/core';

/**
 * Entities are Redis hashes: scalar fields as strings (so Lua can move
 * them), nested values as JSON. These functions are the only place that
 * knows the layout.
 */
type Hash = Record<string, string>;

const json = (value: unknown) => JSON.stringify(value);
const num = (value: string | undefined) => Number(value ?? 0);

function defined(entries: Record<string, string | undefined>): Hash {
  return Object.fromEntries(
    Object.entries(entries).filter(([, v]) => v !== undefined),
  ) as Hash;
}

export function encodeSite(site: Site): Hash {
  return defined({
    id: String(site.id),
    name: site.name,
    contactEmail: site.contactEmail,
    webhookSecret: site.webhookSecret,
    formerSecrets: site.formerSecrets && json(site.formerSecrets),
    customFields: json(site.customFields),
  });
}

export function decodeSite(h: Hash): Site {
  return {
    id: num(h.id),
    name: h.name ?? '',
    contactEmail: h.contactEmail || undefined,
    webhookSecret: h.webhookSecret ?? '',
    formerSecrets: h.formerSecrets ? JSON.parse(h.formerSecrets) : undefined,
    customFields: JSON.parse(h.customFields ?? '[]'),
  };
}

export function encodeJob(job: Job): Hash {
  return defined({
    id: String(job.id),
    siteId: String(job.siteId),
    name: job.name,
    created: job.created ? '1' : '0',
    email: job.email,
    oncomplete: job.oncomplete,
    state: job.state,
    createdAt: job.createdAt,
    q: '0',
    i: '0',
    d: '0',
    e: '0',
  });
}

export function decodeJob(h: Hash): Job {
  return {
    id: num(h.id),
    siteId: num(h.siteId),
    name: h.name ?? '',
    created: h.created === '1',
    email: h.email || undefined,
    oncomplete: h.oncomplete || undefined,
    state: (h.state ?? 'open') as Job['state'],
    createdAt: h.createdAt ?? '',
    publishedAt: h.publishedAt || undefined,
    completedAt: h.completedAt || undefined,
  };
}

export function encodeUpload(upload: Upload): Hash {
  return defined({
    id: String(upload.id),
    siteId: String(upload.siteId),
    jobId: String(upload.jobId),
    status: upload.status,
    formats: json(upload.formats),
    sources: json(upload.sources),
    meta: json(upload.meta),
    createdAt: upload.createdAt,
    formatsGiven: upload.formatsGiven ? 'true' : undefined,
    fileName: upload.fileName,
    stem: upload.stem,
  });
}

export function decodeUpload(h: Hash): Upload {
  return {
    id: num(h.id),
    siteId: num(h.siteId),
    jobId: num(h.jobId),
    status: (h.status ?? 'uploaded') as Upload['status'],
    formats: JSON.parse(h.formats ?? '[]'),
    sources: JSON.parse(h.sources ?? '{}'),
    meta: JSON.parse(h.meta ?? '{}'),
    createdAt: h.createdAt ?? '',
    formatsGiven: h.formatsGiven === 'true' || undefined,
    fileName: h.fileName || undefined,
    stem: h.stem || undefined,
    trackId: h.trackId ? num(h.trackId) : undefined,
    error: h.error || undefined,
    errorCode: h.errorCode || undefined,
  };
}

export function encodeTrack(track: Track): Hash {
  return {
    id: String(track.id),
    siteId: String(track.siteId),
    uploadId: String(track.uploadId),
    jobId: String(track.jobId),
    meta: json(track.meta),
    metaVersions: json(track.metaVersions ?? {}),
    renditions: json(track.renditions),
    createdAt: track.createdAt,
  };
}

export function decodeTrack(h: Hash): Track {
  return {
    id: num(h.id),
    siteId: num(h.siteId),
    uploadId: num(h.uploadId),
    jobId: num(h.jobId),
    meta: JSON.parse(h.meta ?? '{}'),
    metaVersions: JSON.parse(h.metaVersions || '{}'),
    renditions: JSON.parse(h.renditions ?? '{}'),
    createdAt: h.createdAt ?? '',
  };
}
