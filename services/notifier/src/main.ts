import { loadConfig } from '@ingest/config';
import { runService } from '@ingest/telemetry';
import { startNotifier } from './notifier';

await runService(
  'notifier',
  () => loadConfig(),
  async (config, logger) => {
    const notifier = await startNotifier(config, { logger });
    return notifier.steps;
  },
  (config) => [
    {
      host: config.host,
      port: config.notifierPort,
      portSetting: 'NOTIFIER_PORT',
    },
  ],
);
