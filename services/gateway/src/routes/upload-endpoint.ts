import type { Readable } from 'node:stream';
import type { Request, Response } from 'express';
import { ApiError, type Site } from '@ingest/core';
import type { UploadMetrics } from '../uploads/upload-metrics';
import { authenticate, tokenOf } from '../http/auth';
import { clientAddress } from '../http/client-address';
import { API_ENDPOINTS } from '../api/endpoints';
import { endpoint, type CallContext } from '../http/endpoint';
import { flag, id, list, text, type Params } from '../http/params';
import type { FileHandler } from '../http/read-params';
import { unlessBlankFile } from '../uploads/blank-file-part';
import { UploadSlot } from '../uploads/upload-slot';
import type { ReceivedSource } from '../uploads/upload-service';
import type { ImportRouteDeps } from './import-routes';

/**
 * Checks a call before any byte is fetched; gives what to do with the
 * stored source: a new upload (or a secondary source), or, with
 * `track_id`, an update of a published track.
 */
async function prepareCall(
  deps: ImportRouteDeps,
  call: { site: Site; params: Params; requestId: string },
  file: ReceivedSource | undefined,
): Promise<(source: ReceivedSource) => Promise<object>> {
  const { site, params, requestId } = call;
  checkCombination(params, file !== undefined);
  // A multipart file is stored, and counted against the quota, before
  // this: the site's quota is what it held before the call, as for a URL.
  const ownBytes = file?.bytes;
  if (id(params, 'track_id') !== undefined) {
    const request = await deps.trackUpdates.prepare(site, params, ownBytes);
    return (source) =>
      deps.trackUpdates.accept(site, request, source, requestId);
  }
  const request = await deps.uploads.prepare(site, params, ownBytes);
  return (source) => deps.uploads.accept(site, request, source);
}

/**
 * Parameters that cannot go together, or mean nothing without another,
 * are refused rather than silently dropped: a client that sent them
 * wanted something this call would not do.
 */
function checkCombination(params: Params, hasFile: boolean): void {
  if (hasFile && text(params, 'url')) {
    throw new ApiError(
      'invalid_parameter',
      'send url or a multipart file, not both',
      { parameters: ['url', 'file'] },
    );
  }
  if (id(params, 'track_id') !== undefined) {
    checkUpdateCombination(params);
    return;
  }
  const updateOnly = ['format', 'immediate'].filter((name) =>
    name === 'immediate' ? flag(params, name) : text(params, name),
  );
  if (updateOnly.length > 0) {
    const [verb, them] = updateOnly.length > 1 ? ['apply', 'them'] : ['applies', 'it'];
    throw new ApiError(
      'invalid_parameter',
      `${updateOnly.join(' and ')} ${verb} only to track updates: give ` +
        `track_id, or leave ${them} out (formats sets the formats of an upload)`,
      { parameters: updateOnly },
    );
  }
}

/**
 * A track update: `format` or `formats`; no job, and so no `oncomplete`,
 * for an immediate one.
 */
function checkUpdateCombination(params: Params): void {
  if (text(params, 'format') && list(params, 'formats')?.length) {
    throw new ApiError(
      'invalid_parameter',
      'give format (one rendition) or formats (several), not both',
      { parameters: ['format', 'formats'] },
    );
  }
  if (!flag(params, 'immediate')) return;
  // What only a job has would be dropped without a word: oncomplete is
  // told when a job completes, and an immediate update is in none.
  const jobOnly = ['job_id', 'oncomplete'].filter((name) => text(params, name));
  if (jobOnly.length > 0) {
    throw new ApiError(
      'invalid_parameter',
      `an immediate update belongs to no job: leave ${jobOnly.join(' and ')} ` +
        'out, or immediate to have it wait in a job',
      { parameters: ['immediate', ...jobOnly] },
    );
  }
}

/**
 * Aborted when the client goes before its answer: the store step stops
 * then, even when the store holds it without answering, so the site's
 * upload slot is freed at once. So does a shutdown that cuts it short.
 */
function hangUpSignal(ctx: { res: Response; signal: AbortSignal }) {
  const hangUp = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) {
      hangUp.abort(new Error('the client closed the connection'));
    }
  });
  return AbortSignal.any([hangUp.signal, ctx.signal]);
}

/**
 * `/api/import/upload`: a URL fetched, or a multipart file streamed,
 * into storage, then made an upload of the job.
 */
export function uploadEndpoint(
  deps: ImportRouteDeps & { metrics?: UploadMetrics },
) {
  // The upload slot and the multipart file belong to one request.
  const slots = new WeakMap<object, UploadSlot>();
  const received = new WeakMap<object, ReceivedSource>();
  // Files the handler took charge of; any other is removed at cleanup.
  const taken = new WeakSet<object>();
  const slotOf = (ctx: { req: object }) => {
    let slot = slots.get(ctx.req);
    if (!slot) {
      slot = new UploadSlot(deps.store, deps.uploadSlotLeaseMs);
      slots.set(ctx.req, slot);
    }
    return slot;
  };

  /** Authenticates the call, takes its slot and stores its file. */
  const receiveFile = async (
    ctx: { req: Request; res: Response; signal: AbortSignal },
    file: Readable,
    filename: string,
    params: Params,
  ) => {
    const site = await authenticate(deps.store, ctx.req, params);
    // Looked at once the caller is known: the wait for a first byte is
    // held to no pace, and a part before the token is spooled (and
    // paced, and counted against its address) before it comes here.
    const stream = await unlessBlankFile(file, filename);
    if (!stream) return;
    // Before the bytes are stored: a site at its quota sends no more.
    await deps.quota?.refuseWhenFull(site.id);
    await slotOf(ctx).take(site.id);
    const stored = await deps.uploads.receive(
      site,
      stream,
      filename,
      hangUpSignal(ctx),
    );
    received.set(ctx.req, stored);
  };

  // The token usually comes before the file, which then streams straight
  // into storage. A file part before it waits in the spool until the form
  // is read, then goes the same way; the spool file goes in every case.
  const onFile =
    (ctx: { req: Request; res: Response; signal: AbortSignal }): FileHandler =>
    async (stream, info, params, fieldsRead) => {
      if (tokenOf(ctx.req, params)) {
        await receiveFile(ctx, stream, info.filename, params);
        return;
      }
      // Shared out by the client's address: the peer's, or where it is a
      // trusted proxy, the one it forwarded for.
      const address = clientAddress(ctx.req, deps.trustedProxies);
      const spooled = await deps.spool.write(stream, address);
      try {
        await fieldsRead;
        await receiveFile(ctx, spooled.open(), info.filename, params);
      } finally {
        await spooled.remove();
      }
    };

  const answer = endpoint(
    deps,
    async (ctx: CallContext) => {
      const { site, params } = ctx;
      const file = received.get(ctx.req);
      taken.add(ctx.req);
      // The file is the call's to remove until `accept` takes it, which
      // removes it when it refuses it and keeps it once a record names
      // it: a later step failing (its autopublish) left that record
      // naming a file this removed.
      const accept = await prepareCall(deps, ctx, file).catch(async (err: unknown) => {
        if (file) await deps.uploads.discard(file, err);
        throw err;
      });
      if (file) {
        deps.metrics?.received(file.bytes, 'file');
        const answer = await accept(file);
        deps.metrics?.accepted();
        return answer;
      }

      const url = text(params, 'url');
      if (!url) {
        throw new ApiError(
          'invalid_parameter',
          'url or a multipart file is required',
          { parameters: ['url', 'file'] },
        );
      }
      await slotOf(ctx).take(site.id);
      const fetched = await deps.uploads.fetch(site, url, hangUpSignal(ctx));
      deps.metrics?.received(fetched.bytes, 'url');
      const answer = await accept(fetched);
      deps.metrics?.accepted();
      return answer;
    },
    {
      schema: API_ENDPOINTS.upload.params,
      onFile,
      // Counted where every refusal ends, so one raised while the file
      // arrives (before this handler runs) is counted too, and once.
      onRefused: (code) => deps.metrics?.refused(code),
      // A repeated Idempotency-Key is told apart by the file's bytes too.
      idempotent: { fingerprint: (ctx) => received.get(ctx.req)?.sha256 },
      // Both steps at once: a discard that fails (storage or Redis down)
      // frees the slot all the same, which stayed held (its lease renewed)
      // until the gateway stopped; and both are sent to Redis before the
      // answer, whether or not it waits for them (endpoint.ts).
      cleanup: async (ctx) => {
        const file = received.get(ctx.req);
        const steps = [slotOf(ctx).release()];
        if (file && !taken.has(ctx.req)) steps.push(deps.uploads.discard(file));
        const failed = (await Promise.allSettled(steps)).find(
          (step) => step.status === 'rejected',
        );
        if (failed) throw failed.reason;
      },
    },
  );
  return (req: Request, res: Response) => {
    const work = answer(req, res);
    deps.metrics?.answering(work);
    return work;
  };
}
