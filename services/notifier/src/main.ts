import { loadConfig } from '@ingest/config';
import { createLogger, onShutdown } from '@ingest/telemetry';
import { startNotifier } from './notifier';

const config = loadConfig();
const logger = createLogger('notifier', config.logLevel);

try {
  const notifier = await startNotifier(config, { logger });
  onShutdown(logger, config.shutdownTimeoutMs, notifier.steps);
} catch (err) {
  logger.fatal({ err }, 'notifier could not start');
  process.exit(1);
}
