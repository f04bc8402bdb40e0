import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The structured logger of a service. Fields first, a short constant
 * message; tokens and addresses are redacted wherever they appear.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino(
    {
      level,
      base: { service },
      redact: {
        paths: [
          'token',
          '*.token',
          'authorization',
          '*.authorization',
          'email',
          '*.email',
          'to',
          '*.to',
          'secret',
          '*.secret',
        ],
        censor: '[redacted]',
      },
    },
    stdoutDestination(),
  );
}

/**
 * Standard output, written as each line comes. When its reader is gone
 * (`npm start | tee log`, then Ctrl-C), logging stops and the service
 * goes on: pino's default, buffered destination retried the write for
 * ever when the process exited, so a stopped service never ended.
 */
function stdoutDestination() {
  const destination = pino.destination({ dest: 1, sync: true });
  destination.on('error', () => {
    // Nowhere left to say it: a log line is never worth the service.
    destination.write = () => true;
  });
  return destination;
}
