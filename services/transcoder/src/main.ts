import { loadConfig } from '@ingest/config';
import { createLogger, onShutdown } from '@ingest/telemetry';
import { startTranscoder } from './transcoder';

// A bad setting is told on the same fatal line as any other refusal.
let logger = createLogger('transcoder');

try {
  const config = loadConfig();
  logger = createLogger('transcoder', config.logLevel);
  const transcoder = await startTranscoder(config, { logger });
  onShutdown(logger, config.shutdownTimeoutMs, [
    { name: 'transcoder', run: () => transcoder.close() },
  ]);
} catch (err) {
  logger.fatal({ err }, 'transcoder could not start');
  process.exit(1);
}
