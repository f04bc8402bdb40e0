import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * Runs the steps in order on SIGTERM / SIGINT, each guarded, all under
 * one deadline; exits 0 when they finish. The services cut short or hand
 * back their own work before the deadline (`handBackAfter`), so exit 1
 * when it passes is only the backstop for a step that truly hangs.
 */
export function onShutdown(
  logger: Logger,
  deadlineMs: number,
  steps: ShutdownStep[],
): () => Promise<void> {
  let running: Promise<void> | undefined;

  const shutdown = () => {
    running ??= (async () => {
      logger.info({ deadlineMs }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error({ deadlineMs }, 'shutdown deadline passed');
        process.exit(1);
      }, deadlineMs);
      timer.unref();
      for (const step of steps) {
        try {
          await step.run();
        } catch (err) {
          logger.warn({ step: step.name, err }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      logger.info('stopped');
    })();
    return running;
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown().then(() => process.exit(0));
    });
  }
  return shutdown;
}
