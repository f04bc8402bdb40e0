import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * The proxies a gateway believes (INGEST_TRUST_PROXY: addresses and CIDR
 * ranges, checked at start); none given: undefined, it believes none.
 */
export function trustedProxies(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/**
 * The address of the client a request came from: its peer's, or, where
 * the peer is a trusted proxy, the right-most address of X-Forwarded-For
 * that is not one. Each proxy appends the address it was reached from,
 * so what lies left of that was written by the client itself and is not
 * believed. An entry that is no IP address ends the walk at the proxy
 * that wrote it.
 */
export function clientAddress(req: IncomingMessage, trusted?: BlockList): string {
  let address = req.socket.remoteAddress ?? '';
  if (!trusted) return address;
  const hops = forwardedFor(req.headers['x-forwarded-for']);
  while (isTrusted(trusted, address)) {
    const next = hops.pop();
    if (next === undefined || isIP(next) === 0) break;
    address = next;
  }
  return address;
}

/** The addresses of X-Forwarded-For, in order, its header lines joined. */
function forwardedFor(header: string | string[] | undefined): string[] {
  const lines = Array.isArray(header) ? header : [header ?? ''];
  return lines
    .flatMap((line) => line.split(','))
    .map((hop) => hop.trim())
    .filter(Boolean);
}

/** Whether `address` (IPv4-mapped or not) is one of `list`. */
export function isTrusted(list: BlockList, address: string): boolean {
  // An IPv4 peer of a dual-stack socket reads ::ffff:192.0.2.1.
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
  const family = isIP(v4);
  if (family === 0) return false;
  return list.check(v4, family === 6 ? 'ipv6' : 'ipv4');
}
