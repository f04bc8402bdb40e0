import { ApiError } from '@ingest/core';
import type { UploadMetrics } from '../uploads/upload-metrics';
import { authenticate } from '../http/auth';
import { endpoint, type CallContext } from '../http/endpoint';
import { text } from '../http/params';
import { UploadSlot } from '../uploads/upload-slot';
import type { ReceivedSource } from '../uploads/upload-service';
import type { ImportRouteDeps } from './import-routes';

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
  const slotOf = (ctx: { req: object }) => {
    let slot = slots.get(ctx.req);
    if (!slot) {
      slot = new UploadSlot(deps.store, deps.uploadSlotTtlMs);
      slots.set(ctx.req, slot);
    }
    return slot;
  };

  return endpoint(
    deps,
    async (ctx: CallContext) => {
      const { site, params } = ctx;
      const file = received.get(ctx.req);
      try {
        const request = await deps.uploads.prepare(site, params);
        if (file) {
          deps.metrics?.received(file.bytes, 'file');
          const answer = await deps.uploads.accept(site, request, file);
          deps.metrics?.accepted();
          return answer;
        }

        const url = text(params, 'url');
        if (!url) {
          throw new ApiError(
            'invalid_parameter',
            'url or a multipart file is required',
          );
        }
        await slotOf(ctx).take(site.id);
        const fetched = await deps.uploads.fetch(site, url);
        deps.metrics?.received(fetched.bytes, 'url');
        const answer = await deps.uploads.accept(site, request, fetched);
        deps.metrics?.accepted();
        return answer;
      } catch (err) {
        if (file) await deps.uploads.discard(file);
        deps.metrics?.refused(err instanceof ApiError ? err.code : 'internal');
        throw err;
      }
    },
    {
      onFile: (ctx) => async (stream, info, params) => {
        const site = await authenticate(deps.store, ctx.req, params);
        await slotOf(ctx).take(site.id);
        received.set(
          ctx.req,
          await deps.uploads.receive(site, stream, info.filename),
        );
      },
      cleanup: (ctx) => slotOf(ctx).release(),
    },
  );
}
