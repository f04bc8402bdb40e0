import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from '@ingest/config';
import {
  QUEUES,
  checkRedis,
  createRedis,
  handBackAfter,
  openQueue,
  RedisOutage,
  registerQueueDepth,
  type QueueName,
  type TypedQueue,
  redisAnswers,
  closeWaitMs,
} from '@ingest/queue';
import {
  DeletionStore,
  HOLDER_LEASE_MS,
  IdempotencyStore,
  SourceIndex,
  StateStore,
  UpdateStore,
} from '@ingest/state';
import { openStorage, STALE_TEMP_MS, type Storage } from '@ingest/storage';
import {
  closeInSteps,
  createLogger,
  createRegistry,
  runStepsTogether,
  type Logger,
} from '@ingest/telemetry';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DASHBOARD_PATH, queueDashboard } from './admin/queue-dashboard';
import { createApp } from './app';
import { IDEMPOTENCY_TTL_MS } from './http/idempotency';
import { InFlight } from './http/in-flight';
import { TrackIndexing } from './tracks/track-indexing';
import { startAutopublishWorker } from './jobs/autopublish-worker';
import { startImportWorker } from './imports/import-worker';
import { InboundImporter } from './imports/inbound-importer';
import { Autopublisher } from './jobs/autopublisher';
import { Publisher } from './jobs/publisher';
import { FileSpool } from './uploads/file-spool';
import { mediaInspector } from './uploads/media-inspector';
import { uploadMetrics } from './uploads/upload-metrics';
import type { SourceInspector } from './uploads/source-inspector';
import { UploadDeleter } from './uploads/upload-deleter';
import { SecondarySources } from './uploads/secondary-sources';
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

export interface RunningGateway {
  port: number;
  store: StateStore;
  close(): Promise<void>;
}

const JSON_BODY_LIMIT = 1 << 20;

const TEMP_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** The gateway's composition root. */
export async function startGateway(
  config: Config,
  overrides: GatewayOverrides = {},
): Promise<RunningGateway> {
  const logger = overrides.logger ?? createLogger('gateway', config.logLevel);
  // One outage line for the gateway's connections, its workers' too.
  const outage = new RedisOutage(logger);
  const redis = createRedis(config.redisUrl, 'command', outage);
  await checkRedis(redis, logger);

  const store = new StateStore(redis);
  const storage =
    overrides.storage ??
    openStorage(config.storageUrl, {
      workDir: path.join(config.dataDir, 'tmp'),
    });
  const spool = new FileSpool({
    dir: path.join(config.dataDir, 'tmp', 'multipart-spool'),
    maxBytes: config.maxSourceBytes,
    timeoutMs: config.fetchTimeoutMs,
  });
  // Temp files of a gateway or transcoder killed mid-write would stay
  // forever: swept at start and then hourly once a day old.
  const sweepTemp = () =>
    Promise.all([
      storage.sweepTemp(STALE_TEMP_MS),
      spool.sweep(STALE_TEMP_MS),
    ]).then(
      ([stored, spooled]) => {
        const count = stored + spooled;
        if (count > 0) logger.info({ count }, 'stale temp files swept');
      },
      (err) => logger.warn({ err }, 'temp sweep failed'),
    );
  await sweepTemp();
  const tempSweeper = setInterval(sweepTemp, TEMP_SWEEP_INTERVAL_MS);
  tempSweeper.unref();

  // Each queue is opened once and closed once, at shutdown.
  const queues = openQueues(redis);
  const { transcode } = queues;
  const allQueues: Queue[] = Object.values(queues);
  const registry = createRegistry('gateway');
  // Depth of every queue, for dashboards and the transcoder autoscaler.
  registerQueueDepth(registry, allQueues);
  let draining = false;

  const updates = new UpdateStore(redis);
  const publisher = new Publisher(store, transcode, updates);
  const autopublisher = new Autopublisher({
    store,
    publisher,
    queue: queues.autopublish,
    idleMs: config.autopublishIdleMs,
    maxUploads: config.autopublishMaxUploads,
    logger,
  });

  const inspector = overrides.inspector ?? mediaInspector(config, logger);
  const uploads = new UploadService({
    store,
    storage,
    inspector,
    fetchSource:
      overrides.fetchSource ??
      urlFetcher({
        timeoutMs: config.fetchTimeoutMs,
        maxRedirects: config.fetchMaxRedirects,
        maxBytes: config.maxSourceBytes,
        allowPrivate: config.allowPrivateUrls,
      }),
    maxSourceBytes: config.maxSourceBytes,
    autopublisher,
    secondary: new SecondarySources({
      store,
      index: new SourceIndex(redis),
      storage,
      logger,
    }),
  });
  const trackUpdates = new TrackUpdateService({
    store,
    updates,
    storage,
    inspector,
    transcode,
    autopublisher,
    logger,
  });

  const indexing = TrackIndexing.open(redis, queues.index);
  const inFlight = new InFlight();
  const app = createApp({
    store,
    updates,
    storage,
    indexing,
    uploads,
    spool,
    trackUpdates,
    publisher,
    deleter: new UploadDeleter({
      store,
      deletions: new DeletionStore(redis),
      updates,
      storage,
      logger,
    }),
    logger,
    registry,
    publicUrl: config.publicUrl,
    downloadRedirectTtlSeconds:
      config.downloadMode === 'redirect'
        ? Math.max(1, Math.round(config.downloadUrlTtlMs / 1000))
        : undefined,
    dashboard: config.adminToken
      ? {
          path: DASHBOARD_PATH,
          router: queueDashboard(config.adminToken, allQueues),
        }
      : undefined,
    maxBodyBytes: JSON_BODY_LIMIT,
    bodyTimeoutMs: config.fetchTimeoutMs,
    idempotency: new IdempotencyStore(redis, {
      ttlMs: IDEMPOTENCY_TTL_MS,
      // A running claim is leased: renewed while its request runs, gone
      // soon after a gateway died in it.
      runningLeaseMs: HOLDER_LEASE_MS,
    }),
    uploadSlotLeaseMs: HOLDER_LEASE_MS,
    uploadMetrics: uploadMetrics(registry),
    ready: async () =>
      (await redisAnswers(redis))
        ? storage.ready()
        : { ready: false, reason: 'redis unreachable' },
    draining: () => draining,
    drain: inFlight,
  });

  // Node ends any request whose body takes over 5 minutes by default,
  // which would cut a large multipart upload on a slow link short of
  // the time a by-URL fetch gets: both share one limit, which endpoints
  // enforce with a JSON answer (bodyTimeoutMs); Node's, a little later,
  // is the backstop. Node looks for late requests every 30 s; a shorter
  // limit is looked at more often.
  const server = http.createServer(
    {
      requestTimeout: config.fetchTimeoutMs + 5_000,
      connectionsCheckingInterval: Math.min(
        30_000,
        Math.max(250, config.fetchTimeoutMs / 4),
      ),
    },
    app,
  );
  inFlight.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, 'gateway listening');
  const autopublishWorker = startAutopublishWorker(
    config.redisUrl,
    outage,
    autopublisher,
    logger,
  );
  const importWorker = startImportWorker(
    config.redisUrl,
    outage,
    new InboundImporter({ store, uploads, storage }),
    logger,
    { concurrency: config.importConcurrency, storage, registry },
  );

  // Each step is guarded (one that fails is logged and the next still
  // runs), so a failing part never leaves storage or Redis open.
  const close = closeInSteps(logger, [
    {
      name: 'stop taking work',
      run: () => {
        draining = true;
        clearInterval(tempSweeper);
      },
    },
    {
      name: 'calls and workers',
      run: () => {
        // Still listening: new calls get 503 (a balancer moves on) while
        // the calls already taken, uploads included, finish. Those still
        // running near the deadline are cut short (their cleanup frees
        // the slot and the temp file) and running imports are handed
        // back, so the rest of the close fits in the deadline.
        const cutAfterMs = handBackAfter(config.shutdownTimeoutMs);
        const graceMs = (config.shutdownTimeoutMs - cutAfterMs) / 4;
        const closeWithinMs = closeWaitMs(config.shutdownTimeoutMs);
        return runStepsTogether(logger, [
          {
            name: 'calls',
            run: async () => {
              const ended = await inFlight.drain(cutAfterMs, graceMs);
              if (inFlight.signal.aborted) {
                logger.warn({ cutAfterMs, ended }, 'calls cut short by shutdown');
              }
            },
          },
          {
            name: 'import worker',
            run: () => importWorker.close(cutAfterMs, closeWithinMs),
          },
          {
            name: 'autopublish worker',
            run: () => autopublishWorker.close(closeWithinMs),
          },
        ]);
      },
    },
    {
      // Then idle keep-alive sockets go at once.
      name: 'http server',
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    },
    ...allQueues.map((queue) => ({
      name: `${queue.name} queue`,
      run: () => queue.close(),
    })),
    { name: 'storage', run: () => storage.close() },
    { name: 'redis', run: () => redis.disconnect() },
  ]);

  return { port, store, close };
}

type GatewayQueues = { [N in QueueName]: TypedQueue<N> };

/** Every queue, once each, in the order QUEUES names them. */
function openQueues(redis: Redis): GatewayQueues {
  const names = Object.keys(QUEUES) as QueueName[];
  return Object.fromEntries(
    names.map((name) => [name, openQueue(name, redis)]),
  ) as GatewayQueues;
}
