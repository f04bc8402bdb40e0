import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forbiddenReason, isForbiddenAddress } from './forbidden-address';

const FORBIDDEN: readonly string[] = [
  // IPv4
  '0.0.0.0',
  '0.1.2.3',
  '10.0.0.5',
  '10.255.255.255',
  '100.64.0.1',
  '100.127.255.254',
  '127.0.0.1',
  '127.1.2.3',
  '169.254.0.1',
  '169.254.169.254',
  '172.16.0.1',
  '172.31.255.255',
  '192.0.0.8',
  '192.0.2.10',
  '192.168.1.1',
  '198.18.0.1',
  '198.51.100.7',
  '203.0.113.9',
  '224.0.0.1',
  '239.255.255.250',
  '240.0.0.1',
  '255.255.255.255',
  // IPv6
  '::',
  '::1',
  '[::1]',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:10.0.0.5',
  '::ffff:169.254.169.254',
  '::127.0.0.1',
  '64:ff9b::7f00:1',
  '64:ff9b::a9fe:a9fe',
  '2002:c0a8:0101::1',
  '2002:7f00:1::',
  '2001:db8::1',
  // IANA's special-purpose IPv6 ranges that no one reaches on the Internet.
  '2001:2::1',
  '2001:2:0:ffff::1',
  '2001:10::1',
  '2001:1f:ffff::1',
  '3fff::1',
  '3fff:fff:ffff::1',
  '5f00::1',
  '5f00:ffff::1',
  // Teredo: a private client (10.0.0.5, inverted), a private server.
  '2001:0:808:808::f5ff:fffa',
  '2001:0:a00:5::f7f7:f7f7',
  'fc00::1',
  'fd00::1',
  'fdff:ffff::1',
  'fd00:ec2::254',
  'fe80::1',
  'fe80::1%eth0',
  'febf::1',
  'fec0::1',
  'ff02::1',
  'ff0e::1',
  // Not an address at all: fails closed.
  '',
  'localhost',
  '1.2.3',
  '01.2.3.4',
  '::ffff:1.2.3',
];

const ALLOWED: readonly string[] = [
  '1.1.1.1',
  '8.8.8.8',
  '9.255.255.255',
  '11.0.0.1',
  '100.63.255.255',
  '100.128.0.1',
  '169.253.255.255',
  '172.15.255.255',
  '172.32.0.1',
  '192.167.255.255',
  '192.169.0.1',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '[2a00:1450:4001:80b::200e]',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:0808:0808::1',
  // Just outside those ranges, and the reachable ones amid them.
  '2001:2:1::1',
  '2001:20::1',
  '2001:3::1',
  '3fff:1000::1',
  '5eff::1',
  // Teredo with a public server and client (8.8.8.8 both).
  '2001:0:808:808::f7f7:f7f7',
  'fbff::1',
  'fe00::1',
];

test('refuses every non-public address', () => {
  for (const ip of FORBIDDEN) {
    assert.equal(isForbiddenAddress(ip), true, `${ip} should be forbidden`);
  }
});

test('lets public unicast addresses through', () => {
  for (const ip of ALLOWED) {
    assert.equal(isForbiddenAddress(ip), false, `${ip} should be allowed`);
  }
});

test('names the reason a person would look for', () => {
  assert.equal(forbiddenReason('10.0.0.5'), 'private');
  assert.equal(forbiddenReason('127.0.0.1'), 'loopback');
  assert.equal(forbiddenReason('::1'), 'loopback');
  assert.equal(forbiddenReason('::ffff:127.0.0.1'), 'loopback');
  assert.equal(forbiddenReason('fe80::1'), 'link-local');
  assert.equal(forbiddenReason('fd12:3456::1'), 'unique-local');
  assert.equal(forbiddenReason('ff02::1'), 'multicast');
  assert.equal(forbiddenReason('0.0.0.0'), 'unspecified');
  assert.equal(forbiddenReason('255.255.255.255'), 'the broadcast address');
  assert.match(forbiddenReason('100.64.1.1') ?? '', /carrier-grade NAT/);

  const metadata = 'a cloud metadata address';
  assert.equal(forbiddenReason('169.254.169.254'), metadata);
  assert.equal(forbiddenReason('::ffff:169.254.169.254'), metadata);
  assert.equal(forbiddenReason('fd00:ec2::254'), metadata);
  assert.equal(forbiddenReason('100.100.100.200'), metadata);
  // A Teredo client at 169.254.169.254 (inverted: 5601:5601).
  assert.equal(forbiddenReason('2001:0:808:808::5601:5601'), metadata);
  assert.equal(forbiddenReason('8.8.8.8'), undefined);
});

test('an IPv6 address equal in value to a metadata IPv4 is not one', () => {
  // ::a9fe:a9fe is refused as reserved, not mistaken for 169.254.169.254.
  assert.equal(forbiddenReason('::a9fe:a9fe'), 'reserved');
});
