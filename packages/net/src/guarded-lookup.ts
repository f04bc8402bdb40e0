import dns from 'node:dns';
import type { LookupFunction } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Turns a host name into the addresses a connection may go to. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/**
 * Decides about one resolved address: undefined lets it through, an error
 * refuses it (and with it the whole request).
 */
export type AddressCheck = (
  address: string,
  hostname: string,
) => Error | undefined;

/** getaddrinfo, like every Node socket uses by default (hosts file too). */
export const systemResolver: Resolver = async (hostname) => {
  const found = await dns.promises.lookup(hostname, { all: true });
  return found.map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));
};

/**
 * A `lookup` for http(s).request that checks what it hands to the socket.
 * Checking inside the socket's own lookup, instead of resolving once before
 * the request, leaves no gap in which a second DNS answer (rebinding) could
 * point the connection somewhere else.
 *
 * Every resolved address is checked, not only the one used: a name that
 * mixes public and private answers is not something a source host does.
 */
export function guardedLookup(
  resolve: Resolver,
  check: AddressCheck,
): LookupFunction {
  return (hostname, options, callback) => {
    const answer = async (): Promise<ResolvedAddress[]> => {
      const found = await resolve(hostname);
      for (const { address } of found) {
        const refusal = check(address, hostname);
        if (refusal) throw refusal;
      }

      const family = familyNumber(options.family);
      const usable = family
        ? found.filter((entry) => entry.family === family)
        : found;
      if (usable.length === 0) throw notFound(hostname);
      return usable;
    };

    answer().then(
      (usable) => {
        if (options.all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

function familyNumber(family: dns.LookupOptions['family']): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `getaddrinfo ENOTFOUND ${hostname}`,
  );
  error.code = 'ENOTFOUND';
  return error;
}
