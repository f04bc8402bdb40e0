import { ApiError } from '@ingest/core';
import type { StateStore } from '@ingest/state';
import { API_ENDPOINTS } from '../api/endpoints';
import { CAPPED_COUNTING, MAX_COUNT } from '../api/param-schemas';
import { endpoint, type EndpointDeps } from '../http/endpoint';
import { text, type Params } from '../http/params';
import type { TrackIndexing } from '../tracks/track-indexing';
import { presentTrack } from './presenters';

export interface SearchEndpointDeps extends EndpointDeps {
  store: StateStore;
  indexing: TrackIndexing;
  publicUrl: string;
}

/** Page size when `show` is absent, and the most one page may hold. */
export const SEARCH_PAGE = { default: 50, max: 1000 };

/**
 * `/api/tracks/search`: the site's indexed tracks whose Title, Artist,
 * Album, Composer, Genre, ISRC or Filename stem hold every word of `s`
 * (the last word also as a prefix), newest first, `show` per page, page
 * `pg` from 0.
 * Answers `{total, pg, show, tracks:[…]}` with tracks as getById shows
 * them.
 */
export function searchEndpoint(deps: SearchEndpointDeps) {
  return endpoint(deps, async ({ site, params, log }) => {
    const query = params.values.get('s') ?? '';
    const show = pageSize(params);
    const pg = count(params, 'pg', 0) ?? 0;

    const page = await deps.indexing.index.search(site.id, query, {
      offset: pg * show,
      count: show,
    });
    const found = await deps.store.tracksOf(page.ids);
    const tracks = found.filter((t) => t.siteId === site.id);

    // A delete takes its track out of the index in the same step; an
    // entry without a track (left by an older gateway, whose delete only
    // queued the removal) is left out here and its removal asked for.
    const gone = page.ids.filter((id) => !tracks.some((t) => t.id === id));
    for (const trackId of gone) await deps.indexing.requestRemoval(trackId);
    if (gone.length) log.debug({ gone: gone.length }, 'search skipped gone');

    return {
      total: page.total,
      pg,
      show,
      tracks: tracks.map((t) => presentTrack(t, deps.publicUrl)),
    };
  }, { schema: API_ENDPOINTS.search.params, readOnly: true });
}

/** `show`: any whole number ≥ 1, more than the most read as the most. */
function pageSize(params: Params): number {
  const value = text(params, 'show');
  if (value === undefined) return SEARCH_PAGE.default;
  if (!CAPPED_COUNTING.test(value)) {
    throw new ApiError(
      'invalid_parameter',
      'show must be a whole number of at least 1',
      { parameters: ['show'] },
    );
  }
  // Past 9 digits a number is far above the most (and may not be exact).
  const digits = value.replace(/^0+/, '');
  return digits.length > 9
    ? SEARCH_PAGE.max
    : Math.min(Number(digits), SEARCH_PAGE.max);
}

/** A whole number from `min` to MAX_COUNT, or undefined when absent. */
function count(params: Params, name: string, min: number) {
  const value = text(params, name);
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,9}$/.test(value) || Number(value) < min) {
    throw new ApiError(
      'invalid_parameter',
      `${name} must be a whole number from ${min} to ${MAX_COUNT}`,
      { parameters: [name] },
    );
  }
  return Number(value);
}
