/**
 * The slice of a pino-style logger the adapter uses: a fields object first,
 * then a short constant message. Optional everywhere; absent means silent.
 */
export interface MediaLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: MediaLogger = {
  debug() {},
  warn() {},
};
