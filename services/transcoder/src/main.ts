import { loadConfig } from '@ingest/config';
import { createLogger, onShutdown } from '@ingest/telemetry';
import { startTranscoder } from './transcoder';

const config = loadConfig();
const logger = createLogger('transcoder', config.logLevel);

try {
  const transcoder = await startTranscoder(config, { logger });
  onShutdown(logger, config.shutdownTimeoutMs, [
    { name: 'transcoder', run: () => transcoder.close() },
  ]);
} catch (err) {
  logger.fatal({ err }, 'transcoder could not start');
  process.exit(1);
}
