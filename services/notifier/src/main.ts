import { loadConfig } from '@ingest/config';
import { createLogger, onShutdown } from '@ingest/telemetry';
import { startNotifier } from './notifier';

// A bad setting is told on the same fatal line as any other refusal.
let logger = createLogger('notifier');

try {
  const config = loadConfig();
  logger = createLogger('notifier', config.logLevel);
  const notifier = await startNotifier(config, { logger });
  onShutdown(logger, config.shutdownTimeoutMs, notifier.steps);
} catch (err) {
  logger.fatal({ err }, 'notifier could not start');
  process.exit(1);
}
