import path from 'node:path';
import type { Config } from '@ingest/config';
import {
  QUEUES,
  openQueue,
  RedisFullWatch,
  registerQueueDepth,
  type QueueName,
  type TypedQueue,
} from '@ingest/queue';
import {
  SiteUsage,
  SourceIndex,
  StateStore,
  UpdateStore,
} from '@ingest/state';
import { openStorage, STALE_TEMP_MS, type Storage } from '@ingest/storage';
import { createRegistry, type Logger } from '@ingest/telemetry';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { Autopublisher } from './jobs/autopublisher';
import { Publisher } from './jobs/publisher';
import { TrackIndexing } from './tracks/track-indexing';
import { FileSpool } from './uploads/file-spool';
import { mediaInspector } from './uploads/media-inspector';
import { SecondarySources } from './uploads/secondary-sources';
import type { SourceInspector } from './uploads/source-inspector';
import { SiteQuota } from './uploads/site-quota';
import { TrackUpdateService } from './uploads/track-update-service';
import { UploadService, type SourceFetcher } from './uploads/upload-service';
import { urlFetcher } from './uploads/url-fetcher';

/** Parts a test may swap; production defaults come from the config. */
export interface GatewayOverrides {
  logger?: Logger;
  storage?: Storage;
  inspector?: SourceInspector;
  fetchSource?: SourceFetcher;
}

export type GatewayQueues = { [N in QueueName]: TypedQueue<N> };

/** The gateway's long-lived objects, built over one Redis connection. */
export interface GatewayParts {
  redis: Redis;
  /** Tells a full Redis once for the gateway's workers. */
  redisFull: RedisFullWatch;
  store: StateStore;
  updates: UpdateStore;
  storage: Storage;
  spool: FileSpool;
  /** Each queue opened once, closed once at shutdown. */
  queues: GatewayQueues;
  registry: Registry;
  publisher: Publisher;
  autopublisher: Autopublisher;
  uploads: UploadService;
  trackUpdates: TrackUpdateService;
  indexing: TrackIndexing;
  /** Bytes each site stores, and INGEST_SITE_QUOTA. */
  quota: SiteQuota;
}

const TEMP_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** Builds the stores, queues and services; starts nothing. */
export function buildGatewayParts(
  config: Config,
  overrides: GatewayOverrides,
  logger: Logger,
  redis: Redis,
): GatewayParts {
  const store = new StateStore(redis);
  const updates = new UpdateStore(redis);
  const storage =
    overrides.storage ??
    openStorage(config.storageUrl, {
      workDir: path.join(config.dataDir, 'tmp'),
    });
  const queues = openQueues(redis);
  const registry = createRegistry('gateway');
  // Depth of every queue, for dashboards and the transcoder autoscaler.
  registerQueueDepth(registry, Object.values(queues));

  const publisher = new Publisher(
    store,
    queues.transcode,
    updates,
    queues.autopublish,
  );
  const autopublisher = new Autopublisher({
    store,
    publisher,
    queue: queues.autopublish,
    idleMs: config.autopublishIdleMs,
    maxUploads: config.autopublishMaxUploads,
    logger,
  });
  const inspector = overrides.inspector ?? mediaInspector(config, logger);
  const quota = new SiteQuota(new SiteUsage(redis), config.siteQuotaBytes);
  const uploads = new UploadService({
    store,
    storage,
    inspector,
    fetchSource: overrides.fetchSource ?? fetcherOf(config),
    maxSourceBytes: config.maxSourceBytes,
    autopublisher,
    allowPrivateUrls: config.allowPrivateUrls,
    quota,
    secondary: new SecondarySources({
      store,
      index: new SourceIndex(redis),
      storage,
      logger,
      quota,
    }),
  });
  const trackUpdates = new TrackUpdateService({
    store,
    updates,
    storage,
    inspector,
    transcode: queues.transcode,
    autopublisher,
    logger,
    allowPrivateUrls: config.allowPrivateUrls,
    quota,
  });

  return {
    redis,
    redisFull: new RedisFullWatch(redis, logger),
    quota,
    store,
    updates,
    storage,
    spool: new FileSpool({
      dir: path.join(config.dataDir, 'tmp', 'multipart-spool'),
      maxBytes: config.maxSourceBytes,
      timeoutMs: config.fetchTimeoutMs,
    }),
    queues,
    registry,
    publisher,
    autopublisher,
    uploads,
    trackUpdates,
    indexing: TrackIndexing.open(redis, queues.index),
  };
}

/**
 * Temp files of a gateway or transcoder killed mid-write would stay
 * forever: swept now and then hourly once a day old. Resolves after the
 * first sweep with the timer of the next ones.
 */
export async function startTempSweeps(
  parts: Pick<GatewayParts, 'storage' | 'spool'>,
  logger: Logger,
): Promise<NodeJS.Timeout> {
  const sweepTemp = () =>
    Promise.all([
      parts.storage.sweepTemp(STALE_TEMP_MS),
      parts.spool.sweep(STALE_TEMP_MS),
    ]).then(
      ([stored, spooled]) => {
        const count = stored + spooled;
        if (count > 0) logger.info({ count }, 'stale temp files swept');
      },
      (err) => logger.warn({ err }, 'temp sweep failed'),
    );
  await sweepTemp();
  const timer = setInterval(sweepTemp, TEMP_SWEEP_INTERVAL_MS);
  timer.unref();
  return timer;
}

/** Every queue, once each, in the order QUEUES names them. */
function openQueues(redis: Redis): GatewayQueues {
  const names = Object.keys(QUEUES) as QueueName[];
  return Object.fromEntries(
    names.map((name) => [name, openQueue(name, redis)]),
  ) as GatewayQueues;
}

function fetcherOf(config: Config): SourceFetcher {
  return urlFetcher({
    timeoutMs: config.fetchTimeoutMs,
    maxRedirects: config.fetchMaxRedirects,
    maxBytes: config.maxSourceBytes,
    allowPrivate: config.allowPrivateUrls,
  });
}
