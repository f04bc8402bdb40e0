import { ApiError } from '@ingest/core';
import type { KeptSources, StateStore } from '@ingest/state';
import type { Storage } from '@ingest/storage';
import { API_ENDPOINTS } from '../api/endpoints';
import { endpoint, type EndpointDeps } from '../http/endpoint';
import { requireId } from '../http/params';
import type { TrackIndexing } from '../tracks/track-indexing';

export interface TrackDeleteDeps extends EndpointDeps {
  store: StateStore;
  storage: Storage;
  indexing: TrackIndexing;
}

/**
 * `/api/tracks/delete` (beyond SourceAudio): removes a published track's
 * renditions and the sources of its upload and applied updates, then
 * its record and its search entries in one step. Answers
 * `{result:'success', track_id, formats}`. Files go first, so a call cut
 * short leaves a track that a repeated call can still delete; the site's
 * stored bytes (INGEST_SITE_QUOTA) go with them. An update applied while
 * the call ran has its sources removed after the record (the update
 * itself removes them when it finds the track gone once applied).
 */
export function trackDeleteEndpoint(deps: TrackDeleteDeps) {
  return endpoint(deps, async ({ site, params, log }) => {
    const trackId = requireId(params, 'track_id');
    const track = await deps.store.getTrack(site.id, trackId);
    if (!track) throw new ApiError('not_found', `track ${trackId} not found`);
    const { deleter } = deps.indexing;

    const formats = Object.keys(track.renditions);
    await removeSources(deps, await deleter.keptSources(trackId));
    for (const rendition of Object.values(track.renditions)) {
      await deps.storage.delete(rendition.storageKey);
    }
    const deleted = await deleter.delete(site.id, trackId);
    if (!deleted) {
      // Another call deleted it meanwhile.
      throw new ApiError('not_found', `track ${trackId} not found`);
    }
    await removeSources(deps, await deleter.keptSources(trackId, deleted));

    log.info({ trackId, formats: formats.length }, 'track deleted');
    return { result: 'success', track_id: trackId, formats };
  }, { schema: API_ENDPOINTS.deleteTrack.params });
}

/** Removes the files of `kept` (uncounted), then notes them removed. */
async function removeSources(
  deps: TrackDeleteDeps,
  kept: KeptSources[],
): Promise<void> {
  for (const sources of kept) {
    await deps.indexing.deleter.removeSources(sources, (key) =>
      deps.storage.delete(key),
    );
  }
}
