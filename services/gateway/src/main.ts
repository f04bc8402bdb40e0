import { loadConfig } from '@ingest/config';
import { createLogger, onShutdown } from '@ingest/telemetry';
import { startGateway } from './gateway';

// A bad setting is told on the same fatal line as any other refusal.
let logger = createLogger('gateway');

try {
  const config = loadConfig();
  logger = createLogger('gateway', config.logLevel);
  const gateway = await startGateway(config, { logger });
  onShutdown(logger, config.shutdownTimeoutMs, [
    { name: 'gateway', run: () => gateway.close() },
  ]);
} catch (err) {
  logger.fatal({ err }, 'gateway could not start');
  process.exit(1);
}
