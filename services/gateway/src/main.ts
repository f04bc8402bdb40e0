import { loadConfig } from '@ingest/config';
import { runService } from '@ingest/telemetry';
import { startGateway } from './gateway';

await runService('gateway', () => loadConfig(), async (config, logger) => {
  const gateway = await startGateway(config, { logger });
  return [{ name: 'gateway', run: () => gateway.close() }];
});
