/**
 * Refusals of the operator scripts (`npm start`, `npm run site:create`):
 * what is wrong and what to do, as one plain line on stderr. A stack
 * trace, or a JSON log line with one inside, buried that line; it says
 * nothing an operator can act on. Errors that are no refusal (bugs) keep
 * their stack.
 */
import { loadConfig, type Config, type ConfigOptions } from '@ingest/config';
import { StartRefusal } from '@ingest/core';

/** A start or a command refused for a reason the operator can fix. */
export class ScriptRefusal extends StartRefusal {
  override name = 'ScriptRefusal';
}

/** The one line that tells a refusal, or undefined for other errors. */
export function refusalLine(err: unknown): string | undefined {
  // A bad setting (ConfigError) is one of these too.
  return err instanceof StartRefusal ? err.message : undefined;
}

/** Prints a refusal as one line and exits 1; throws other errors on. */
export function exitRefused(err: unknown): never {
  const line = refusalLine(err);
  if (line === undefined) throw err;
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

/** The settings, or a one-line refusal naming every bad variable. */
export function scriptConfig(
  env: Record<string, string | undefined> = process.env,
  options: ConfigOptions = {},
): Config {
  try {
    return loadConfig(env, options);
  } catch (err) {
    exitRefused(err);
  }
}

/**
 * What `parse` (a `parseArgs` call) makes of the command line; an unknown
 * option, one without its value or a stray argument is refused with
 * `usage`.
 */
export function scriptOptions<T>(parse: () => T, usage: string): T {
  try {
    return parse();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw err;
    // Node words some of these on several lines ("argument is ambiguous").
    const said = (err as Error).message.replace(/\s*\n\s*/g, ' ');
    exitRefused(new ScriptRefusal(`${said}; ${usage}`));
  }
}
