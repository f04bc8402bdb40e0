import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { clientAddress, trustedProxies } from './client-address';

/** A request from `peer`, with these X-Forwarded-For lines. */
const from = (peer: string, forwardedFor?: string | string[]) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

test('with no trusted proxy, X-Forwarded-For is never believed', () => {
  assert.equal(trustedProxies([]), undefined);
  assert.equal(clientAddress(from('192.0.2.1', '203.0.113.9')), '192.0.2.1');
});

test('from a trusted proxy: the right-most address that is not one', () => {
  const trusted = trustedProxies(['10.0.0.0/8', '192.0.2.1', 'fd00::/8']);
  // The client wrote 198.51.100.1 itself; the proxy appended its peer.
  assert.equal(
    clientAddress(from('10.1.2.3', '198.51.100.1, 203.0.113.9, 10.9.9.9'), trusted),
    '203.0.113.9',
  );
  // Header lines are taken in order, as one list.
  assert.equal(
    clientAddress(from('192.0.2.1', ['198.51.100.1', '2001:db8::7']), trusted),
    '2001:db8::7',
  );
  // A dual-stack socket's IPv4 peer; an IPv6 proxy.
  assert.equal(clientAddress(from('::ffff:10.0.0.5', '203.0.113.9'), trusted), '203.0.113.9');
  assert.equal(clientAddress(from('fd00::1', '203.0.113.9'), trusted), '203.0.113.9');
  // Every hop trusted: the left-most.
  assert.equal(clientAddress(from('10.0.0.5', '10.0.0.6, 10.0.0.7'), trusted), '10.0.0.6');
});

test('an untrusted peer, no header or a hop that is no address: the last address believed', () => {
  const trusted = trustedProxies(['127.0.0.1']);
  assert.equal(clientAddress(from('127.0.0.2', '203.0.113.9'), trusted), '127.0.0.2');
  assert.equal(clientAddress(from('127.0.0.1'), trusted), '127.0.0.1');
  assert.equal(clientAddress(from('127.0.0.1', ' , '), trusted), '127.0.0.1');
  assert.equal(clientAddress(from('127.0.0.1', '203.0.113.9, unknown'), trusted), '127.0.0.1');
  assert.equal(
    clientAddress(from('127.0.0.1', '203.0.113.9, 127.0.0.1:4711'), trusted),
    '127.0.0.1',
  );
});
