import type { Upload } from '@ingest/core';
import type { Redis } from 'ioredis';
import * as codec from './codec';
import { keys } from './keys';
import { SET_IF_UNCHANGED } from './scripts';

/**
 * KEYS: upload. ARGV: field, expected, new, … (triples).
 * Rewrites fields of a waiting upload only if each still holds what the
 * caller read (a missing field reads as ''). Returns 'ok', 'changed', or
 * the upload's status when it no longer waits ('missing' when gone).
 */
const PATCH_WAITING_UPLOAD = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status ~= 'uploaded' then return status end` + SET_IF_UNCHANGED;

interface Scripts {
  patchWaitingUpload(...args: (string | number)[]): Promise<string>;
}

/** What an attach wants to change, computed from the upload as read. */
export type UploadPatch = Partial<
  Pick<Upload, 'sources' | 'formats' | 'formatsGiven' | 'meta'>
>;

export type PatchResult =
  | { outcome: 'patched'; before: Upload; after: Upload }
  | { outcome: 'not_waiting'; status: string };

const ATTEMPTS = 20;

/**
 * Secondary sources: the job's uploads by file-name stem (the index is
 * written by StateStore.addUpload in the same script as the upload), and
 * compare-and-set changes to a waiting upload's sources and formats.
 */
export class SourceIndex {
  private readonly redis: Redis & Scripts;

  constructor(redis: Redis) {
    redis.defineCommand('patchWaitingUpload', {
      numberOfKeys: 1,
      lua: PATCH_WAITING_UPLOAD,
    });
    this.redis = redis as Redis & Scripts;
  }

  /** The upload of the job indexed under `stem`, if it still exists. */
  async uploadOfStem(jobId: number, stem: string): Promise<Upload | undefined> {
    const id = await this.redis.hget(keys.jobStems(jobId), stem);
    if (!id) return undefined;
    const hash = await this.redis.hgetall(keys.upload(Number(id)));
    if (!hash.id) return undefined;
    const upload = codec.decodeUpload(hash);
    return upload.jobId === jobId ? upload : undefined;
  }

  /**
   * Applies `change` to the upload as it is now, atomically, while it
   * still waits for its job's publish; retried when another call
   * changed it in between.
   */
  async patchWaiting(
    uploadId: number,
    change: (upload: Upload) => UploadPatch,
  ): Promise<PatchResult> {
    const key = keys.upload(uploadId);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const hash = await this.redis.hgetall(key);
      if (!hash.id) return { outcome: 'not_waiting', status: 'missing' };
      const before = codec.decodeUpload(hash);
      const patch = change(before);
      const after = { ...before, ...patch };
      const encoded = codec.encodeUpload(after);

      const args: string[] = [];
      for (const field of Object.keys(patch)) {
        args.push(field, hash[field] ?? '', encoded[field] ?? '');
      }
      const result = await this.redis.patchWaitingUpload(key, ...args);
      if (result === 'ok') return { outcome: 'patched', before, after };
      if (result !== 'changed') {
        return { outcome: 'not_waiting', status: result };
      }
    }
    throw new Error(`upload ${uploadId} kept changing; patch abandoned`);
  }
}
