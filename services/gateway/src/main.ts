import { loadConfig } from '@ingest/config';
import { createLogger, onShutdown } from '@ingest/telemetry';
import { startGateway } from './gateway';

const config = loadConfig();
const logger = createLogger('gateway', config.logLevel);

try {
  const gateway = await startGateway(config, { logger });
  onShutdown(logger, config.shutdownTimeoutMs, [
    { name: 'gateway', run: () => gateway.close() },
  ]);
} catch (err) {
  logger.fatal({ err }, 'gateway could not start');
  process.exit(1);
}
