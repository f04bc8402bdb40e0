/**
 * A start refused for a reason an operator can fix: a bad setting, a
 * Redis that may evict keys, an ffmpeg without an encoder. `message` is
 * one line saying what is wrong and how to fix it. It is told without a
 * stack: the stack of a refusal points into the check that refused,
 * which helps nobody, and buries the line that does.
 */
export class StartRefusal extends Error {
  override name = 'StartRefusal';
}

/** Settings that are missing or bad; `problems` names each variable. */
export class ConfigError extends StartRefusal {
  override name = 'ConfigError';

  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

/** Where a service listens, and the settings that say so. */
export interface ListenPlace {
  host: string;
  port: number;
  /** The variable naming the port: `PORT`, `TRANSCODER_PORT`… */
  portSetting: string;
}

/**
 * A failed `listen` as an operator's problem where it is one: the port
 * is taken, the address is not this machine's, HOST names no known
 * machine, or the port needs privileges. Anything else comes back as it
 * was.
 */
export function listenRefusal(err: unknown, place: ListenPlace): unknown {
  const at = `cannot listen on ${place.host}:${place.port}`;
  const cause = { cause: err };
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return new StartRefusal(
        `${at}: another process holds the port; stop it or set ` +
          `${place.portSetting} to a free port`,
        cause,
      );
    case 'EADDRNOTAVAIL':
      return new StartRefusal(
        `${at}: no interface of this machine has that address; set HOST ` +
          'to one of its addresses, or 0.0.0.0 for all',
        cause,
      );
    case 'ENOTFOUND':
      // HOST names a machine DNS does not know (listen looks it up).
      return new StartRefusal(
        `${at}: no address is known for that name; set HOST to an ` +
          'address of this machine, or 0.0.0.0 for all',
        cause,
      );
    case 'EACCES':
      return new StartRefusal(
        `${at}: the port needs privileges this process lacks; set ` +
          `${place.portSetting} to 1024 or above`,
        cause,
      );
    default:
      return err;
  }
}
