import { loadConfig, type Config } from '@ingest/config';
import { runService } from '@ingest/telemetry';
import { startGateway } from './gateway';

/** The API's port, and GATEWAY_OPS_PORT when set: checked free first. */
function listensOn(config: Config) {
  const ops = config.gatewayOpsPort;
  return [
    { host: config.host, port: config.port, portSetting: 'PORT' },
    ...(ops === undefined
      ? []
      : [{ host: config.host, port: ops, portSetting: 'GATEWAY_OPS_PORT' }]),
  ];
}

await runService(
  'gateway',
  () => loadConfig(),
  async (config, logger) => {
    const gateway = await startGateway(config, { logger });
    return [{ name: 'gateway', run: () => gateway.close() }];
  },
  listensOn,
);
