import { loadConfig } from '@ingest/config';
import { createLogger, onShutdown } from '@ingest/telemetry';
import { startNotifier } from './notifier';

/** Process entry: settings from the environment, drain on SIGTERM. */
async function main() {
  const config = loadConfig();
  const logger = createLogger('notifier', config.logLevel);

  try {
    const notifier = await startNotifier(config, { logger });
    onShutdown(logger, config.shutdownTimeoutMs, notifier.steps);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'notifier did not start');
    process.exitCode = 1;
  }
}

void main();
