// The host address a Compose `ports:` entry publishes on, read the way
// Compose reads it. `${VAR:-default}` takes its default: the address the
// file gives when nothing in the environment overrides it.

/** A `ports:` entry: short syntax, or long syntax with `host_ip`. */
export type ComposePort =
  | string
  | number
  | { host_ip?: string; published?: string | number };

function withDefaults(text: string): string {
  return text.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g,
    (_match, fallback: string | undefined) => fallback ?? '');
}

/**
 * The host address of a published port: '' when it binds every interface
 * (no address given, 0.0.0.0 or ::), brackets of an IPv6 address dropped.
 */
export function publishedAddress(port: ComposePort): string {
  let address: string;
  if (typeof port === 'object') {
    address = withDefaults(port.host_ip ?? '');
  } else {
    // [IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]
    const spec = withDefaults(String(port)).replace(/\/[a-z]+$/, '');
    const bracketed = /^\[([^\]]*)\]:/.exec(spec);
    if (bracketed) {
      address = bracketed[1];
    } else {
      const parts = spec.split(':');
      address = parts.length === 3 ? parts[0] : '';
    }
  }
  return ['0.0.0.0', '::'].includes(address) ? '' : address;
}
