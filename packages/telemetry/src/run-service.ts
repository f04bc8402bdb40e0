import { createLogger, type Logger } from './logger';
import { onShutdown, type ShutdownStep } from './shutdown';

/** What `runService` needs of a service's settings. */
export interface ServiceSettings {
  logLevel: string;
  shutdownTimeoutMs: number;
}

/**
 * A service's entry point: reads its settings, starts it, and runs the
 * steps `start` gives back on SIGTERM / SIGINT. Anything that stops the
 * start, a bad setting included, is one fatal line
 * (`<name> could not start`, the error whole) and exit 1.
 */
export async function runService<C extends ServiceSettings>(
  name: string,
  loadConfig: () => C,
  start: (config: C, logger: Logger) => Promise<ShutdownStep[]>,
): Promise<void> {
  // Settings not read yet: the default level, so a refusal is still told.
  let logger = createLogger(name);
  try {
    const config = loadConfig();
    logger = createLogger(name, config.logLevel);
    const steps = await start(config, logger);
    onShutdown(logger, config.shutdownTimeoutMs, steps);
  } catch (err) {
    logger.fatal({ err }, `${name} could not start`);
    process.exit(1);
  }
}
