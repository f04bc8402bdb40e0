import { loadConfig } from '@ingest/config';
import { runService } from '@ingest/telemetry';
import { startTranscoder } from './transcoder';

await runService(
  'transcoder',
  () => loadConfig(),
  async (config, logger) => {
    const transcoder = await startTranscoder(config, { logger });
    return [{ name: 'transcoder', run: () => transcoder.close() }];
  },
  (config) => [
    {
      host: config.host,
      port: config.transcoderPort,
      portSetting: 'TRANSCODER_PORT',
    },
  ],
);
