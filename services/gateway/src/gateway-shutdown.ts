import type http from 'node:http';
import type { Config } from '@ingest/config';
import type { OpsServer } from '@ingest/telemetry';
import { closeWaitMs, handBackAfter } from '@ingest/queue';
import {
  runStepsTogether,
  type Logger,
  type ShutdownStep,
} from '@ingest/telemetry';
import type { Queue } from 'bullmq';
import type { GatewayParts } from './gateway-parts';
import type { InFlight } from './http/in-flight';
import type { ImportWorker } from './imports/import-worker';
import type { AutopublishWorker } from './jobs/autopublish-worker';

/** What the gateway has running once it has started. */
export interface GatewayRun {
  config: Config;
  logger: Logger;
  parts: GatewayParts;
  server: http.Server;
  /** /healthz, /readyz and /metrics on GATEWAY_OPS_PORT, when set. */
  opsServer?: OpsServer;
  inFlight: InFlight;
  importWorker: ImportWorker;
  autopublishWorker: AutopublishWorker;
  /** Turns /readyz and new calls to 503 and stops the temp sweeps. */
  stopTakingWork(): void;
}

/**
 * The gateway's shutdown, in fixed steps: stop taking work, let calls
 * and jobs in flight end, stop listening, then close the queues, the
 * storage and Redis. Run each guarded (closeInSteps).
 */
export function gatewayCloseSteps(run: GatewayRun): ShutdownStep[] {
  const { server } = run;
  return [
    { name: 'stop taking work', run: () => run.stopTakingWork() },
    { name: 'calls and workers', run: () => endWorkInFlight(run) },
    {
      // Then idle keep-alive sockets go at once.
      name: 'http server',
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    },
    ...(run.opsServer
      ? [{ name: 'ops server', run: () => run.opsServer?.close() }]
      : []),
    ...partsCloseSteps(run.parts),
  ];
}

/**
 * The queues, the storage and Redis: the last steps of the shutdown, and
 * all there is to close when a start fails before the gateway serves.
 */
export function partsCloseSteps(parts: GatewayParts): ShutdownStep[] {
  const queues: Queue[] = Object.values(parts.queues);
  return [
    ...queues.map((queue) => ({
      name: `${queue.name} queue`,
      run: () => queue.close(),
    })),
    { name: 'storage', run: () => parts.storage.close() },
    {
      name: 'redis',
      run: () => {
        parts.redisFull.close();
        parts.redis.disconnect();
      },
    },
  ];
}

/**
 * Still listening: new calls get 503 (a balancer moves on) while the
 * calls already taken, uploads included, finish. Those still running
 * near the deadline are cut short (their cleanup frees the slot and the
 * temp file) and running imports are handed back, so the rest of the
 * close fits in the deadline.
 */
function endWorkInFlight(run: GatewayRun): Promise<void> {
  const { config, logger, inFlight } = run;
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
      run: () => run.importWorker.close(cutAfterMs, closeWithinMs),
    },
    {
      name: 'autopublish worker',
      run: () => run.autopublishWorker.close(closeWithinMs),
    },
  ]);
}
