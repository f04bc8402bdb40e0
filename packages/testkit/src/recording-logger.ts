export interface LoggedLine {
  level: string;
  message: string;
  // What the code under test logged with the line, as it gave it.
  fields: Record<string, any>;
}

/**
 * A logger with pino's four levels that keeps every line it is given,
 * for tests that check what was logged and at which level.
 */
export function recordingLogger() {
  const lines: LoggedLine[] = [];
  const at = (level: string) => (fields: object, message: string) => {
    lines.push({ level, message, fields: fields as LoggedLine['fields'] });
  };
  return {
    lines,
    logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') },
    /** The lines logged at `level`. */
    at: (level: string) => lines.filter((line) => line.level === level),
    /** The lines logged at any other level than `level`. */
    not: (level: string) => lines.filter((line) => line.level !== level),
  };
}
