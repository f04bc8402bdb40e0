import type { Logger } from 'pino';

/** What the step runners need of a logger: pino's fits. */
export interface StepLogger {
  warn(fields: object, message: string): void;
}

export interface ShutdownStep {
  name: string;
  run: () => unknown;
}

/**
 * Runs the steps in order, each guarded: a step that throws or rejects
 * is logged with its name and the next step still runs, so one failing
 * part never leaves the ones after it open.
 */
export async function runSteps(
  logger: StepLogger,
  steps: ShutdownStep[],
  message = 'close step failed',
): Promise<void> {
  for (const step of steps) {
    try {
      await step.run();
    } catch (err) {
      logger.warn({ step: step.name, err }, message);
    }
  }
}

/** Runs the steps at the same time, each guarded as in runSteps. */
export async function runStepsTogether(
  logger: StepLogger,
  steps: ShutdownStep[],
  message = 'close step failed',
): Promise<void> {
  await Promise.all(steps.map((step) => runSteps(logger, [step], message)));
}

/**
 * An idempotent close over fixed steps (see runSteps): the first call
 * runs them, later calls wait for the same run.
 */
export function closeInSteps(
  logger: StepLogger,
  steps: ShutdownStep[],
): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= runSteps(logger, steps));
}

/**
 * Runs the steps in order on SIGTERM / SIGINT, each guarded, all under
 * one deadline; exits 0 when they finish. A signal that comes again
 * meanwhile changes nothing. The services cut short or hand back their
 * own work before the deadline (`handBackAfter`), so exit 1 when it
 * passes is only the backstop for a step that truly hangs.
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
      await runSteps(logger, steps, 'shutdown step failed');
      clearTimeout(timer);
      logger.info('stopped');
    })();
    return running;
  };

  // Listeners kept for good: a signal that comes again while the steps
  // run waits for the same run. One may come twice (a SIGINT sent to
  // `npm run start:<name>` and the service alike reaches the service
  // again from npm); with a `once` listener Node restored the default
  // action after the first, and the second ended the process mid-drain.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      void shutdown().then(() => process.exit(0));
    });
  }
  return shutdown;
}
