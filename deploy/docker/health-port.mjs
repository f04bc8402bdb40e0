// Which port the container HEALTHCHECK asks, for the one image that runs
// any of the three services (healthcheck.mjs).
import { readFileSync } from 'node:fs';

/** Each service's port setting and its default (docs/operations.md). */
export const SERVICE_PORTS = {
  gateway: ['PORT', '8080'],
  transcoder: ['TRANSCODER_PORT', '9101'],
  notifier: ['NOTIFIER_PORT', '9102'],
};

/**
 * The service a command line runs: the name of its `dist/<name>.mjs`.
 * The container's first process is the service itself or an init
 * (`docker run --init`, compose `init: true`) whose arguments hold it.
 */
export function serviceOf(commandLine) {
  for (const arg of commandLine) {
    const match = /(?:^|\/)dist\/([a-z]+)\.mjs$/.exec(arg);
    if (match && Object.hasOwn(SERVICE_PORTS, match[1])) return match[1];
  }
  return undefined;
}

/**
 * The port to check: one given to the script, else HEALTH_PORT, else the
 * port setting of the service the container runs, else the gateway's.
 */
export function healthPort(args, env, commandLine) {
  if (args[0]) return args[0];
  if (env.HEALTH_PORT) return env.HEALTH_PORT;
  const [setting, fallback] = SERVICE_PORTS[serviceOf(commandLine) ?? 'gateway'];
  return env[setting] || fallback;
}

/** The arguments of process 1, or none where they cannot be read. */
export function firstProcessCommandLine(file = '/proc/1/cmdline') {
  try {
    return readFileSync(file, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
