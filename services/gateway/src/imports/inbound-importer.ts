import { ApiError, type Site } from '@ingest/core';
import type { StateStore } from '@ingest/state';
import type { Storage } from '@ingest/storage';
import { API_ENDPOINTS } from '../api/endpoints';
import { checkParams } from '../api/param-check';
import type {
  ReceivedSource,
  UploadAnswer,
  UploadService,
} from '../uploads/upload-service';
import { readImportPayload, type ImportSource } from './import-payload';

export interface InboundImporterDeps {
  store: StateStore;
  uploads: UploadService;
  /** The storage `storageKey` sources are read from (the gateway's). */
  storage: Storage;
}

/**
 * One inbound import, run as `/api/import/upload` runs an upload: the
 * same parameter schema and checks before any byte (`prepare`), the same
 * fetch or store, the same acceptance; so it answers the same body or
 * the same ApiError.
 */
export class InboundImporter {
  constructor(private readonly deps: InboundImporterDeps) {}

  /** `signal` stops a URL fetch in progress (the worker's shutdown). */
  async run(data: unknown, signal?: AbortSignal): Promise<UploadAnswer> {
    const request = readImportPayload(data);
    const site = await this.deps.store.getSite(request.siteId);
    if (!site) {
      throw new ApiError('not_found', `site ${request.siteId} not found`);
    }

    checkParams(API_ENDPOINTS.upload.params, request.params);
    const upload = await this.deps.uploads.prepare(site, request.params);
    const received = await this.receive(site, request.source, signal);
    return this.deps.uploads.accept(site, upload, received);
  }

  /** Fetches the URL, or copies the producer's object, into a source. */
  private async receive(
    site: Site,
    source: ImportSource,
    signal?: AbortSignal,
  ): Promise<ReceivedSource> {
    if ('url' in source) {
      return this.deps.uploads.fetch(site, source.url, signal);
    }

    // A copy, so the producer's object stays the producer's: a retried
    // import finds it again, and the producer removes it when it likes.
    const object = await this.deps.storage.open(source.storageKey);
    if (!object) {
      throw new ApiError(
        'fetch_failed',
        `source could not be read: no object at ${source.storageKey}`,
      );
    }
    try {
      return await this.deps.uploads.receive(
        site,
        object.stream(),
        source.filename,
      );
    } finally {
      await object.close();
    }
  }
}
