import { StartRefusal, type ListenPlace } from '@ingest/core';
import { prepareDataDir, removeMadeDataDir } from './data-dir';
import { createLogger, type Logger } from './logger';
import { checkPortsFree } from './port-check';
import { onShutdown, type ShutdownStep } from './shutdown';

/** What `runService` needs of a service's settings. */
export interface ServiceSettings {
  logLevel: string;
  shutdownTimeoutMs: number;
  /** `INGEST_DATA_DIR`, checked writable before the service starts. */
  dataDir: string;
}

/**
 * A service's entry point: reads its settings, starts it, and runs the
 * steps `start` gives back on SIGTERM / SIGINT. Anything that stops the
 * start is one fatal line (`<name> could not start`) and exit 1. A
 * refusal (`StartRefusal`: a bad setting, a Redis that may evict keys…)
 * is logged without a stack and also told as one plain line on stderr,
 * `<name> could not start: <what is wrong>`; any other error is logged
 * whole, its stack included, for whoever debugs it. A data dir the start
 * made is removed again then, as far as it is empty (removeMadeDataDir):
 * a start told to fix its REDIS_URL leaves no folder behind. The ports
 * `listensOn` names are checked free before anything else (port-check.ts):
 * a start refused for a port leaves no folder, store mark or record.
 */
export async function runService<C extends ServiceSettings>(
  name: string,
  loadConfig: () => C,
  start: (config: C, logger: Logger) => Promise<ShutdownStep[]>,
  listensOn: (config: C) => ListenPlace[] = () => [],
): Promise<void> {
  // Settings not read yet: the default level, so a refusal is still told.
  let logger = createLogger(name);
  let undoDataDir = async () => {};
  try {
    const config = loadConfig();
    logger = createLogger(name, config.logLevel);
    await checkPortsFree(listensOn(config));
    const made = await prepareDataDir(config.dataDir);
    if (made) undoDataDir = () => removeMadeDataDir(config.dataDir, made);
    const steps = await start(config, logger);
    onShutdown(logger, config.shutdownTimeoutMs, steps);
  } catch (err) {
    const message = `${name} could not start`;
    if (err instanceof StartRefusal) {
      // Not under `err`, whose serializer would add the stack.
      const refusal = { type: err.name, message: err.message };
      logger.fatal({ refusal }, message);
      process.stderr.write(`${message}: ${err.message}\n`);
    } else {
      logger.fatal({ err }, message);
    }
    await undoDataDir().catch(() => {});
    process.exit(1);
  }
}
