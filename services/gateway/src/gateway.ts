import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@ingest/config';
import {
  QUEUES,
  checkRedis,
  createRedis,
  openQueue,
  registerQueueDepth,
  type QueueName,
} from '@ingest/queue';
import { StateStore } from '@ingest/state';
import { openStorage, type Storage } from '@ingest/storage';
import {
  createLogger,
  createRegistry,
  type Logger,
} from '@ingest/telemetry';
import { createApp } from './app';
import { Publisher } from './jobs/publisher';
import { mediaInspector } from './uploads/media-inspector';
import { uploadMetrics } from './uploads/upload-metrics';
import type { SourceInspector } from './uploads/source-inspector';
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

/** The gateway's composition root. */
export async function startGateway(
  config: Config,
  overrides: GatewayOverrides = {},
): Promise<RunningGateway> {
  const logger = overrides.logger ?? createLogger('gateway', config.logLevel);
  const redis = createRedis(config.redisUrl);
  await checkRedis(redis, logger);

  const store = new StateStore(redis);
  const storage = overrides.storage ?? openStorage(config.storageUrl);
  const transcode = openQueue('transcode', redis);
  const registry = createRegistry('gateway');
  // Depth of every queue, for dashboards and the transcoder autoscaler.
  const watched = (Object.keys(QUEUES) as QueueName[])
    .filter((name) => name !== 'transcode')
    .map((name) => openQueue(name, redis));
  registerQueueDepth(registry, [transcode, ...watched]);
  let draining = false;

  const uploads = new UploadService({
    store,
    storage,
    inspector: overrides.inspector ?? mediaInspector(config, logger),
    fetchSource:
      overrides.fetchSource ??
      urlFetcher({
        timeoutMs: config.fetchTimeoutMs,
        maxRedirects: config.fetchMaxRedirects,
        maxBytes: config.maxSourceBytes,
        allowPrivate: config.allowPrivateUrls,
      }),
    maxSourceBytes: config.maxSourceBytes,
  });

  const app = createApp({
    store,
    storage,
    uploads,
    publisher: new Publisher(store, transcode),
    logger,
    registry,
    publicUrl: config.publicUrl,
    maxBodyBytes: JSON_BODY_LIMIT,
    uploadSlotTtlMs: config.fetchTimeoutMs + 60_000,
    uploadMetrics: uploadMetrics(registry),
    ready: async () => (await redis.ping()) === 'PONG',
    draining: () => draining,
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, 'gateway listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      // Calls in flight finish; idle keep-alive sockets go at once.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      for (const queue of [transcode, ...watched]) {
        await queue.close().catch(() => {});
      }
      await storage.close().catch(() => {});
      redis.disconnect();
    })());

  return { port, store, close };
}
