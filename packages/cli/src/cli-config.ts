import { baseUrlProblem, headerSafe, shownUrl } from '@ingest/client';
import { CliUsageError } from './exit-codes';

/** Where the CLI talks to, from flags first, then the environment. */
export interface CliConfig {
  url: string;
  token: string;
}

/** The environment variables the CLI reads; nothing else reads env. */
export const ENV_VARS = {
  url: 'INGEST_URL',
  token: 'INGEST_TOKEN',
} as const;

export function loadConfig(
  flags: { url?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): CliConfig {
  const url = flags.url ?? env[ENV_VARS.url];
  const token = flags.token ?? env[ENV_VARS.token];
  const missing = [
    url ? undefined : `--url or ${ENV_VARS.url}`,
    token ? undefined : `--token or ${ENV_VARS.token}`,
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new CliUsageError(`missing ${missing.join(' and ')}`);
  }

  // A line break or other control character (a token file saved with
  // CRLF) cannot go in a header: fetch would fail every retry instead.
  if (!headerSafe(token!)) {
    throw new CliUsageError(
      `token holds characters a header cannot carry (a line break?); ` +
        `check --token or ${ENV_VARS.token}`,
    );
  }

  let parsed: URL;
  try {
    parsed = new URL(url!);
  } catch {
    throw new CliUsageError(`gateway URL is not a URL: ${shownUrl(url!)}`);
  }
  const problem = baseUrlProblem(parsed);
  if (problem) {
    throw new CliUsageError(`gateway URL ${problem}: ${shownUrl(url!)}`);
  }
  refuseApiPath(parsed, url!);
  return { url: parsed.toString(), token: token! };
}

/**
 * `npm start` prints the API as `http://localhost:8080/api/import/…`.
 * Pasted whole into INGEST_URL, every call went to
 * `/api/import/api/import/…` and the gateway answered only "no such
 * endpoint". A gateway behind a proxy path (`https://host/ingest`) stays
 * allowed: only the API's own paths are refused.
 */
function refuseApiPath(parsed: URL, given: string): void {
  const at = parsed.pathname.search(/\/api\/(import|tracks)(\/|$)/);
  if (at < 0) return;
  const base = new URL(parsed.pathname.slice(0, at) || '/', parsed.origin);
  throw new CliUsageError(
    `gateway URL ${given} names an API path; give the gateway's base ` +
      `URL instead: ${base.toString().replace(/\/$/, '')}`,
  );
}
