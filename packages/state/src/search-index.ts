import { randomUUID } from 'node:crypto';
import type { Track } from '@ingest/core';
import type { Redis } from 'ioredis';
import { keys } from './keys';
import * as lua from './search-scripts';
import { queryTokens, trackTokens } from './search-tokens';

/** A prefix matching more tokens than this uses the first ones only. */
export const MAX_PREFIX_EXPANSION = 1000;

export interface SearchPage {
  /** How many tracks match in all. */
  total: number;
  /** Ids of the requested page, highest (newest) first. */
  ids: number[];
}

interface Scripts {
  indexAdd(...args: (string | number)[]): Promise<number>;
  indexRemove(...args: (string | number)[]): Promise<number>;
  indexQuery(...args: (string | number)[]): Promise<(string | number)[]>;
}

/** The part of each site key before the site id, for the scripts. */
export const SEARCH_SITE_BASE = keys.searchSite(0).slice(0, -1);

/**
 * The search index of published tracks, per site, in Redis: normalized
 * tokens of their metadata → track ids. Written by the indexer only,
 * so a track is searchable once it has been indexed, not when published.
 */
export class SearchIndex {
  private readonly redis: Redis & Scripts;

  constructor(redis: Redis) {
    redis.defineCommand('indexAdd', { numberOfKeys: 2, lua: lua.INDEX_ADD });
    redis.defineCommand('indexRemove', {
      numberOfKeys: 1,
      lua: lua.INDEX_REMOVE,
    });
    redis.defineCommand('indexQuery', {
      numberOfKeys: 1,
      lua: lua.INDEX_QUERY,
    });
    this.redis = redis as Redis & Scripts;
  }

  /**
   * Indexes the track as it is now, replacing earlier entries. False when
   * its record is gone (deleted before the indexer came to it).
   */
  async add(track: Track): Promise<boolean> {
    const done = await this.redis.indexAdd(
      keys.track(track.id),
      keys.searchDoc(track.id),
      SEARCH_SITE_BASE,
      track.siteId,
      track.id,
      JSON.stringify(trackTokens(track.meta)),
    );
    return done === 1;
  }

  /** Takes a track out of the index; false when it was not in it. */
  async remove(trackId: number): Promise<boolean> {
    const done = await this.redis.indexRemove(
      keys.searchDoc(trackId),
      SEARCH_SITE_BASE,
      trackId,
    );
    return done === 1;
  }

  /**
   * The site's tracks matching `text`, newest first. Blank text matches
   * every indexed track of the site; text with no word to look for (no
   * letter or digit: `*`, `🎵`, punctuation) matches none, as a search
   * for a word no track has.
   */
  async search(
    siteId: number,
    text: string,
    page: { offset: number; count: number },
  ): Promise<SearchPage> {
    const query = queryTokens(text);
    const wordless = query.exact.length === 0 && !query.prefix;
    if (wordless && text.trim() !== '') return { total: 0, ids: [] };
    const [total, ...ids] = await this.redis.indexQuery(
      keys.searchTemp(randomUUID()),
      SEARCH_SITE_BASE,
      siteId,
      page.offset,
      page.count,
      query.prefix,
      MAX_PREFIX_EXPANSION,
      ...query.exact,
    );
    return { total: Number(total), ids: ids.map(Number) };
  }
}
