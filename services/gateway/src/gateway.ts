import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@ingest/config';
import { listenRefusal } from '@ingest/core';
import {
  checkRedis,
  createRedis,
  REDIS_COMMAND_TIMEOUT_MS,
  RedisOutage,
  redisReadiness,
} from '@ingest/queue';
import { checkCatalogMark } from '@ingest/storage';
import {
  catalogRecordOf,
  DeletionStore,
  HOLDER_LEASE_MS,
  IdempotencyStore,
  type StateStore,
  storeRecordOf,
  tracksNumberedBy,
} from '@ingest/state';
import { warnIfStorageNotReady } from '@ingest/storage';
import {
  closeInSteps,
  createLogger,
  OpsServer,
  type ReadyAnswer,
  runSteps,
  type Logger,
  type ShutdownStep,
} from '@ingest/telemetry';
import type { Express } from 'express';
import { DASHBOARD_PATH, queueDashboard } from './admin/queue-dashboard';
import { createApp } from './app';
import { trustedProxies } from './http/client-address';
import { capConnectionsPerClient } from './http/client-connection-cap';
import { answerClientErrors } from './http/client-error';
import { SavedCheck } from './http/saved-check';
import {
  buildGatewayParts,
  startTempSweeps,
  type GatewayOverrides,
  type GatewayParts,
} from './gateway-parts';
import { gatewayCloseSteps, partsCloseSteps } from './gateway-shutdown';
import { IDEMPOTENCY_TTL_MS } from './http/idempotency';
import { InFlight } from './http/in-flight';
import {
  applyServerLimits,
  serverLimits,
  type ServerLimits,
} from './http/server-limits';
import { startAutopublishWorker } from './jobs/autopublish-worker';
import { startImportWorker } from './imports/import-worker';
import { InboundImporter } from './imports/inbound-importer';
import { uploadMetrics } from './uploads/upload-metrics';
import { UploadDeleter } from './uploads/upload-deleter';

export type { GatewayOverrides } from './gateway-parts';

export interface RunningGateway {
  port: number;
  store: StateStore;
  close(): Promise<void>;
}

const JSON_BODY_LIMIT = 1 << 20;

/**
 * The gateway's composition root: checks Redis, builds its parts,
 * serves the API, then starts the autopublish and import workers. A
 * start that fails part way closes what it opened before it throws, the
 * connection to Redis included.
 */
export async function startGateway(
  config: Config,
  overrides: GatewayOverrides = {},
): Promise<RunningGateway> {
  const logger = overrides.logger ?? createLogger('gateway', config.logLevel);
  // One outage line for the gateway's connections, its workers' too.
  const outage = new RedisOutage(logger);
  // A call's reply is waited for at most REDIS_COMMAND_TIMEOUT_MS: a
  // stalled Redis then answers 503 rather than holding the call.
  const redis = createRedis(
    config.redisUrl,
    'command',
    outage,
    REDIS_COMMAND_TIMEOUT_MS,
  );
  let opened: ShutdownStep[] = [
    { name: 'redis', run: () => redis.disconnect() },
  ];
  try {
    await checkRedis(redis, logger);

    const parts = buildGatewayParts(config, overrides, logger, redis);
    opened = partsCloseSteps(parts);
    await checkCatalogMark(parts.storage, catalogRecordOf(redis), {
      where: config.storageUrl,
      tracksNumbered: await tracksNumberedBy(redis),
      stores: storeRecordOf(redis),
      logger,
    });
    const tempSweeper = await startTempSweeps(parts, logger);
    opened.unshift({
      name: 'temp sweeps',
      run: () => clearInterval(tempSweeper),
    });
    return await serve(config, parts, logger, { outage, tempSweeper });
  } catch (err) {
    await runSteps(logger, opened);
    throw err;
  }
}

/**
 * Listens (the API, then GATEWAY_OPS_PORT, closing the API's server if
 * that one cannot), then starts the workers; nothing after throws.
 */
async function serve(
  config: Config,
  parts: GatewayParts,
  logger: Logger,
  started: { outage: RedisOutage; tempSweeper: NodeJS.Timeout },
): Promise<RunningGateway> {
  const { outage, tempSweeper } = started;
  let draining = false;
  const inFlight = new InFlight();
  const limits = serverLimits(config);
  const app = gatewayApp(config, parts, logger, limits, {
    inFlight,
    draining: () => draining,
  });
  const server = await listen(config, app, { inFlight, limits }, logger);
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { port, maxConnections: server.maxConnections },
    'gateway listening',
  );
  const opsServer = await listenOps(config, parts, () => draining, () => server.close());
  void warnIfStorageNotReady(parts.storage, logger);
  outage.watchAnswers(parts.redis);

  const autopublishWorker = startAutopublishWorker(
    config.redisUrl,
    outage,
    parts.redisFull,
    parts.autopublisher,
    logger,
  );
  const importWorker = startImportWorker(
    config.redisUrl,
    outage,
    parts.redisFull,
    new InboundImporter({
      store: parts.store,
      uploads: parts.uploads,
      storage: parts.storage,
    }),
    logger,
    {
      concurrency: config.importConcurrency,
      storage: parts.storage,
      registry: parts.registry,
      // A payload holds what an HTTP upload's body may.
      maxDataBytes: JSON_BODY_LIMIT,
    },
  );

  const close = closeInSteps(
    logger,
    gatewayCloseSteps({
      config,
      logger,
      parts,
      server,
      opsServer,
      inFlight,
      importWorker,
      autopublishWorker,
      stopTakingWork: () => {
        draining = true;
        clearInterval(tempSweeper);
        outage.close();
      },
    }),
  );
  return { port, store: parts.store, close };
}

/** The API over the gateway's parts. */
function gatewayApp(
  config: Config,
  parts: GatewayParts,
  logger: Logger,
  limits: ServerLimits,
  drain: { inFlight: InFlight; draining: () => boolean },
): Express {
  const { redis, store, updates, storage, registry } = parts;
  return createApp({
    store,
    updates,
    storage,
    indexing: parts.indexing,
    uploads: parts.uploads,
    spool: parts.spool,
    trackUpdates: parts.trackUpdates,
    publisher: parts.publisher,
    deleter: new UploadDeleter({
      store,
      deletions: new DeletionStore(redis),
      updates,
      storage,
      logger,
      quota: parts.quota,
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
          router: queueDashboard(
            config.adminToken,
            Object.values(parts.queues),
          ),
        }
      : undefined,
    maxBodyBytes: JSON_BODY_LIMIT,
    bodyTimeoutMs: config.fetchTimeoutMs,
    smallBodyPace: limits.smallBodyPace,
    idempotency: new IdempotencyStore(redis, {
      ttlMs: IDEMPOTENCY_TTL_MS,
      // A running claim is leased: renewed while its request runs, gone
      // soon after a gateway died in it.
      runningLeaseMs: HOLDER_LEASE_MS,
    }),
    uploadSlotLeaseMs: HOLDER_LEASE_MS,
    allowPrivateUrls: config.allowPrivateUrls,
    trustedProxies: trustedProxies(config.trustProxy),
    uploadMetrics: uploadMetrics(registry),
    ready: () => gatewayReadiness(parts),
    draining: drain.draining,
    drain: drain.inFlight,
    redisFull: parts.redisFull,
    saved: new SavedCheck(redis),
  });
}

/** Whether Redis and the storage answer (the gateway's /readyz). */
async function gatewayReadiness(parts: GatewayParts): Promise<ReadyAnswer> {
  const found = await redisReadiness(parts.redis);
  return found.ready ? parts.storage.ready() : found;
}

/**
 * /healthz, /readyz and /metrics on GATEWAY_OPS_PORT too, when it is set:
 * a port apart from the API's connection caps, so probes and scrapes
 * still get in while clients hold every connection the API allows.
 */
async function listenOps(
  config: Config,
  parts: GatewayParts,
  draining: () => boolean,
  closeApi: () => void,
): Promise<OpsServer | undefined> {
  if (config.gatewayOpsPort === undefined) return undefined;
  const ops = new OpsServer({
    port: config.gatewayOpsPort,
    host: config.host,
    portSetting: 'GATEWAY_OPS_PORT',
    registry: parts.registry,
    ready: async () =>
      draining()
        ? { ready: false, reason: 'shutting down' }
        : gatewayReadiness(parts),
  });
  try {
    await ops.listen();
  } catch (err) {
    closeApi();
    throw err;
  }
  return ops;
}

/** Serves `app` with the limits of http/server-limits.ts. */
async function listen(
  config: Config,
  app: Express,
  { inFlight, limits }: { inFlight: InFlight; limits: ServerLimits },
  logger: Logger,
): Promise<http.Server> {
  const server = http.createServer(
    {
      requestTimeout: limits.requestTimeout,
      headersTimeout: limits.headersTimeout,
      connectionsCheckingInterval: limits.connectionsCheckingInterval,
    },
    app,
  );
  applyServerLimits(server, limits, logger);
  capConnectionsPerClient(
    server,
    limits.maxConnectionsPerClient,
    logger,
    trustedProxies(config.trustProxy),
  );
  answerClientErrors(server);
  inFlight.attach(server);
  await new Promise<void>((resolve, reject) => {
    const { host, port } = config;
    server.once('error', (err) =>
      reject(listenRefusal(err, { host, port, portSetting: 'PORT' })),
    );
    server.listen(port, host, resolve);
  });
  return server;
}
