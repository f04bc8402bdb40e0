import { Router } from 'express';
import { ApiError } from '@ingest/core';
import type { StateStore, UpdateStore } from '@ingest/state';
import type { Storage } from '@ingest/storage';
import { API_ENDPOINTS } from '../api/endpoints';
import { endpoint } from '../http/endpoint';
import { requireId } from '../http/params';
import type { TrackIndexing } from '../tracks/track-indexing';
import { downloadEndpoint, type DownloadDeps } from './download-endpoint';
import { presentTrack, presentUpdate } from './presenters';
import { searchEndpoint } from './search-endpoint';
import { trackDeleteEndpoint } from './track-delete-endpoint';

export interface TrackRouteDeps extends DownloadDeps {
  store: StateStore;
  /** A track's latest updates, shown by getById. */
  updates: UpdateStore;
  storage: Storage;
  publicUrl: string;
  indexing: TrackIndexing;
}

/** `/api/tracks/*`: published tracks and their files. */
export function trackRoutes(deps: TrackRouteDeps): Router {
  const router = Router();

  async function trackOf(siteId: number, trackId: number) {
    const track = await deps.store.getTrack(siteId, trackId);
    if (!track) throw new ApiError('not_found', `track ${trackId} not found`);
    return track;
  }

  router.all(
    '/getById',
    endpoint(deps, async ({ site, params }) => {
      const track = await trackOf(site.id, requireId(params, 'track_id'));
      const updates = await deps.updates.ofTrack(track.id);
      return {
        track: {
          ...presentTrack(track, deps.publicUrl),
          updates: updates.map(presentUpdate),
        },
      };
    }, { schema: API_ENDPOINTS.getById.params, readOnly: true }),
  );

  router.all('/search', searchEndpoint(deps));
  router.all('/delete', trackDeleteEndpoint(deps));
  router.all('/download', downloadEndpoint(deps));

  return router;
}
