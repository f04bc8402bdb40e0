import net from 'node:net';

/**
 * Which IP addresses an outbound request must not reach: anything that is
 * not a public unicast address. Each rule carries the words that finish
 * "address X is …" in an error message.
 */
interface Rule {
  readonly prefix: bigint;
  readonly bits: number;
  readonly reason: string;
}

const PRIVATE = 'private';
const RESERVED = 'reserved';
const METADATA = 'a cloud metadata address';

/**
 * Instance-metadata endpoints are mostly inside ranges refused anyway; they
 * are named first so the message says what was really attempted.
 */
const METADATA_ADDRESSES = new Set(
  [
    '169.254.169.254', // AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean
    '169.254.170.2', // AWS ECS task metadata
    '100.100.100.200', // Alibaba Cloud
    'fd00:ec2::254', // AWS IMDS over IPv6
  ].map((ip) => metadataKey(net.isIP(ip), toBigInt(ip))),
);

const V4_RULES: readonly Rule[] = [
  v4('0.0.0.0', 8, 'unspecified'),
  v4('10.0.0.0', 8, PRIVATE),
  v4('100.64.0.0', 10, 'in the shared carrier-grade NAT range'),
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'link-local'),
  v4('172.16.0.0', 12, PRIVATE),
  v4('192.0.0.0', 24, RESERVED),
  v4('192.0.2.0', 24, RESERVED),
  v4('192.88.99.0', 24, RESERVED),
  v4('192.168.0.0', 16, PRIVATE),
  v4('198.18.0.0', 15, RESERVED),
  v4('198.51.100.0', 24, RESERVED),
  v4('203.0.113.0', 24, RESERVED),
  v4('224.0.0.0', 4, 'multicast'),
  v4('255.255.255.255', 32, 'the broadcast address'),
  v4('240.0.0.0', 4, RESERVED),
];

const V6_RULES: readonly Rule[] = [
  v6('::', 128, 'unspecified'),
  v6('::1', 128, 'loopback'),
  // Covers IPv4-compatible and SIIT forms; mapped ones are unwrapped first.
  v6('::', 8, RESERVED),
  v6('64:ff9b:1::', 48, PRIVATE),
  v6('100::', 64, RESERVED),
  // Benchmarking (RFC 5180), ORCHID (RFC 4843), documentation (RFC 3849,
  // RFC 9637) and SRv6 SIDs (RFC 9602): none is reachable on the Internet,
  // as the IPv4 benchmarking and documentation ranges above.
  v6('2001:2::', 48, RESERVED),
  v6('2001:10::', 28, RESERVED),
  v6('2001:db8::', 32, RESERVED),
  v6('3fff::', 20, RESERVED),
  v6('5f00::', 16, RESERVED),
  v6('fc00::', 7, 'unique-local'),
  v6('fe80::', 10, 'link-local'),
  v6('fec0::', 10, PRIVATE),
  v6('ff00::', 8, 'multicast'),
];

/** Where an IPv4 address sits in an IPv6 one: `shift` bits up, XOR `flip`. */
interface V4Spot {
  readonly shift: bigint;
  readonly flip: bigint;
}

const V4_MASK = 0xffffffffn;
const LAST_32: V4Spot = { shift: 0n, flip: 0n };

/**
 * IPv6 forms that carry IPv4 addresses a packet may end up at: mapped
 * (::ffff:a.b.c.d, what dual-stack sockets report), NAT64 (64:ff9b::/96),
 * 6to4 (2002::/16, the address sits in bits 16–48) and Teredo (2001::/32,
 * RFC 4380: its server in bits 32–64, its client, inverted, in the last
 * 32). A host with a Teredo or 6to4 interface sends to those itself.
 */
const EMBEDDED_V4: readonly { prefix: bigint; bits: number; at: V4Spot[] }[] = [
  { prefix: toBigInt('::ffff:0:0'), bits: 96, at: [LAST_32] },
  { prefix: toBigInt('64:ff9b::'), bits: 96, at: [LAST_32] },
  { prefix: toBigInt('2002::'), bits: 16, at: [{ shift: 80n, flip: 0n }] },
  {
    prefix: toBigInt('2001::'),
    bits: 32,
    at: [{ shift: 64n, flip: 0n }, { shift: 0n, flip: V4_MASK }],
  },
];

/**
 * True when a request must not connect to `ip`. Anything that is not a
 * valid IP literal counts as forbidden, so a surprising resolver answer
 * fails closed. Brackets and an IPv6 zone (`%eth0`) are accepted.
 */
export function isForbiddenAddress(ip: string): boolean {
  return forbiddenReason(ip) !== undefined;
}

/**
 * Why `ip` is forbidden, worded to follow "address X is", or undefined
 * when it is a public unicast address.
 */
export function forbiddenReason(ip: string): string | undefined {
  const literal = stripDecoration(ip);
  const family = net.isIP(literal);
  if (family === 0) return 'not a valid IP address';

  const value = toBigInt(literal);
  if (METADATA_ADDRESSES.has(metadataKey(family, value))) return METADATA;
  if (family === 4) return matchRule(value, 32, V4_RULES);

  const form = EMBEDDED_V4.find((f) => hasPrefix(value, 128, f.prefix, f.bits));
  if (!form) return matchRule(value, 128, V6_RULES);
  for (const spot of form.at) {
    const embedded = ((value >> spot.shift) & V4_MASK) ^ spot.flip;
    if (METADATA_ADDRESSES.has(metadataKey(4, embedded))) return METADATA;
    const reason = matchRule(embedded, 32, V4_RULES);
    if (reason) return reason;
  }
  return undefined;
}

/** True for the reason `forbiddenReason` gives a cloud metadata address. */
export function isMetadataReason(reason: string): boolean {
  return reason === METADATA;
}

function metadataKey(family: number, value: bigint): string {
  return `${family}:${value}`;
}

function matchRule(
  value: bigint,
  width: number,
  rules: readonly Rule[],
): string | undefined {
  return rules.find((rule) => hasPrefix(value, width, rule.prefix, rule.bits))
    ?.reason;
}

function hasPrefix(
  value: bigint,
  width: number,
  prefix: bigint,
  bits: number,
): boolean {
  const drop = BigInt(width - bits);
  return value >> drop === prefix >> drop;
}

function stripDecoration(ip: string): string {
  let literal = ip.trim();
  if (literal.startsWith('[') && literal.endsWith(']')) {
    literal = literal.slice(1, -1);
  }
  const zone = literal.indexOf('%');
  return zone === -1 ? literal : literal.slice(0, zone);
}

/** Parses a literal that `net.isIP` has accepted. */
function toBigInt(literal: string): bigint {
  if (net.isIPv4(literal)) return v4ToBigInt(literal);

  const [head, tail] = literal.includes('::')
    ? literal.split('::')
    : [literal, undefined];
  const headGroups = v6Groups(head);
  const tailGroups = tail === undefined ? [] : v6Groups(tail);
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [
    ...headGroups,
    ...new Array<bigint>(Math.max(missing, 0)).fill(0n),
    ...tailGroups,
  ];
  return groups.reduce((acc, group) => (acc << 16n) | group, 0n);
}

function v6Groups(part: string): bigint[] {
  if (part === '') return [];
  return part.split(':').flatMap((group) => {
    if (!group.includes('.')) return [BigInt(`0x${group}`)];
    // A trailing dotted quad fills the last two groups.
    const v4value = v4ToBigInt(group);
    return [v4value >> 16n, v4value & 0xffffn];
  });
}

function v4ToBigInt(literal: string): bigint {
  return literal
    .split('.')
    .reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function v4(address: string, bits: number, reason: string): Rule {
  return { prefix: v4ToBigInt(address), bits, reason };
}

function v6(address: string, bits: number, reason: string): Rule {
  return { prefix: toBigInt(address), bits, reason };
}
