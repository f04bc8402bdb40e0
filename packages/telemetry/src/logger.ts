import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The structured logger of a service. Fields first, a short constant
 * message; tokens and addresses are redacted wherever they appear.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
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
  });
}
