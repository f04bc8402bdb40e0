import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { after, before, test } from 'node:test';
import { addressPolicy } from './address-policy';
import { guardedLookup, type Resolver } from './guarded-lookup';
import {
  installTripwire,
  type LoopbackServer,
  startServer,
  type Tripwire,
} from './loopback-server';
import { NetError } from './net-error';
import { safeRequest, type SafeRequestOptions } from './safe-request';

// Every test here runs with the address rule on. Traffic only ever goes to
// the loopback servers below; the tripwire makes sure of it.

let tripwire: Tripwire;
let v4: LoopbackServer;
let v6: LoopbackServer;

before(async () => {
  tripwire = installTripwire();
  v4 = await startServer((_req, res) => res.end('v4'));
  v6 = await startServer((_req, res) => res.end('v6'), '::1');
});

after(async () => {
  await v4.close();
  await v6.close();
  tripwire.remove();
  assert.deepEqual(tripwire.tripped, []);
});

const RULE_ON: SafeRequestOptions = {
  timeoutMs: 2000,
  maxRedirects: 5,
  allowPrivate: false,
  errorPrefix: 'source could not be fetched',
};

/** A resolver for made-up public-looking names, answering from a table. */
function fakeDns(table: Record<string, string[]>): {
  resolve: Resolver;
  asked: string[];
} {
  const asked: string[] = [];
  const resolve: Resolver = async (hostname) => {
    asked.push(hostname);
    const addresses = table[hostname] ?? [];
    return addresses.map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
  };
  return { resolve, asked };
}

async function assertRefused(
  url: string,
  options: SafeRequestOptions,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(safeRequest(url, options), (error: unknown) => {
    assert.ok(error instanceof NetError, `not a NetError: ${error}`);
    assert.equal(error.code, 'address_not_allowed', error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

test('loopback literals are refused before any connection', async () => {
  const before = v4.connections + v6.connections;
  await assertRefused(
    `http://127.0.0.1:${v4.port}/`,
    RULE_ON,
    /^source could not be fetched: address 127\.0\.0\.1 is loopback$/,
  );
  await assertRefused(`http://[::1]:${v6.port}/`, RULE_ON, /::1 is loopback/);
  await assertRefused(`http://[::ffff:127.0.0.1]:${v4.port}/`, RULE_ON);
  // Other spellings of 127.0.0.1 that URL parsing normalizes.
  await assertRefused(`http://2130706433:${v4.port}/`, RULE_ON);
  await assertRefused(`http://0x7f.1:${v4.port}/`, RULE_ON);
  assert.equal(v4.connections + v6.connections, before);
});

test('private, metadata and unspecified literals are refused', async () => {
  await assertRefused('http://10.0.0.5/', RULE_ON, /10\.0\.0\.5 is private/);
  await assertRefused(
    'http://169.254.169.254/latest/meta-data/',
    RULE_ON,
    /169\.254\.169\.254 is a cloud metadata address/,
  );
  await assertRefused('http://0.0.0.0:9/', RULE_ON, /is unspecified/);
  await assertRefused('http://[fd00:ec2::254]/', RULE_ON, /metadata/);
  assert.deepEqual(tripwire.tripped, []);
});

test('localhost is refused on its resolved address', async () => {
  const before = v4.connections + v6.connections;
  await assertRefused(
    `http://localhost:${v4.port}/`,
    RULE_ON,
    /\(localhost\) is loopback/,
  );
  assert.equal(v4.connections + v6.connections, before);
});

test('a public-looking name resolving to loopback is refused', async () => {
  const dns = fakeDns({ 'files.example.com': ['127.0.0.1'] });
  const before = v4.connections;

  await assertRefused(
    `http://files.example.com:${v4.port}/a.wav`,
    { ...RULE_ON, resolve: dns.resolve },
    /address 127\.0\.0\.1 \(files\.example\.com\) is loopback/,
  );
  assert.deepEqual(dns.asked, ['files.example.com']);
  assert.equal(v4.connections, before);
});

test('https names go through the same guarded lookup', async () => {
  const dns = fakeDns({ 'secure.example.com': ['127.0.0.1'] });
  const before = v4.connections;

  // Refused before TLS starts, so no certificate is needed.
  await assertRefused(
    `https://secure.example.com:${v4.port}/a.wav`,
    { ...RULE_ON, resolve: dns.resolve },
    /127\.0\.0\.1 \(secure\.example\.com\) is loopback/,
  );
  assert.deepEqual(dns.asked, ['secure.example.com']);
  assert.equal(v4.connections, before);
});

test('the same name is fetched when the rule is lifted', async () => {
  const dns = fakeDns({ 'files.example.com': ['127.0.0.1'] });
  const response = await safeRequest(`http://files.example.com:${v4.port}/`, {
    ...RULE_ON,
    allowPrivate: true,
    resolve: dns.resolve,
  });
  assert.equal(response.status, 200);
  response.body.resume();
});

test('a redirect to a forbidden address is refused on that hop', async () => {
  const dns = fakeDns({
    'cdn.example.com': ['::ffff:127.0.0.1'],
    'static.example.com': ['::1'],
  });
  const targets: Record<string, string> = {
    '/to-literal': `http://[::1]:${v6.port}/`,
    '/to-mapped': `http://cdn.example.com:${v4.port}/`,
    '/to-v6-name': `http://static.example.com:${v6.port}/`,
  };
  const entry = await startServer((req, res) => {
    const location = targets[req.url ?? ''];
    if (location) res.writeHead(302, { location }).end();
    else res.end('entry');
  });
  // Only the entry server's exact address is let through: a stand-in for
  // a public host, since tests never leave loopback.
  const options: SafeRequestOptions = {
    ...RULE_ON,
    resolve: dns.resolve,
    allowAddress: (address) => address === '127.0.0.1',
  };

  try {
    const direct = await safeRequest(`${entry.origin}/`, options);
    assert.equal(direct.status, 200);
    direct.body.resume();

    const before = { v4: v4.connections, v6: v6.connections };
    await assertRefused(
      `${entry.origin}/to-literal`,
      options,
      /::1 is loopback/,
    );
    await assertRefused(
      `${entry.origin}/to-mapped`,
      options,
      /::ffff:127\.0\.0\.1 \(cdn\.example\.com\) is loopback/,
    );
    await assertRefused(
      `${entry.origin}/to-v6-name`,
      options,
      /::1 \(static\.example\.com\) is loopback/,
    );
    assert.deepEqual(before, { v4: v4.connections, v6: v6.connections });
    assert.equal(entry.requests, 4);
  } finally {
    await entry.close();
  }
});

test('only http and https URLs without credentials are taken', async () => {
  const bad = [
    'ftp://example.com/a.wav',
    'file:///etc/passwd',
    'gopher://127.0.0.1:70/',
    'http://user:secret@example.com/a.wav',
    'http://user@example.com/a.wav',
    'not a url',
    '/relative/path',
  ];
  for (const url of bad) {
    await assert.rejects(
      safeRequest(url, RULE_ON),
      (error: unknown) =>
        error instanceof NetError &&
        error.code === 'bad_url' &&
        !error.message.includes('secret'),
      url,
    );
  }
});

test('a redirect to another scheme is refused', async () => {
  const entry = await startServer((_req, res) => {
    res.writeHead(301, { location: 'file:///etc/passwd' }).end();
  });
  try {
    await assert.rejects(
      safeRequest(`${entry.origin}/`, { ...RULE_ON, allowPrivate: true }),
      {
        code: 'bad_redirect',
        message: /redirect scheme file: is not allowed/,
      },
    );
  } finally {
    await entry.close();
  }
});

// The lookup is also checked on its own, without sockets, for answers that
// must never be dialled even by a broken test.

function lookupOnce(
  table: Record<string, string[]>,
  all: boolean,
  family = 0,
  allowPrivate = false,
): Promise<string | LookupAddress[]> {
  const lookup = guardedLookup(
    fakeDns(table).resolve,
    addressPolicy({ allowPrivate }, 'webhook could not be delivered'),
  );
  return new Promise((resolve, reject) => {
    lookup('hook.example.com', { all, family }, (error, address) => {
      if (error) reject(error);
      else resolve(address);
    });
  });
}

test('the lookup refuses private and metadata answers', async () => {
  await assert.rejects(
    lookupOnce({ 'hook.example.com': ['10.0.0.5'] }, false),
    {
      code: 'address_not_allowed',
      message:
        'webhook could not be delivered: ' +
        'address 10.0.0.5 (hook.example.com) is private',
    },
  );
  await assert.rejects(
    lookupOnce({ 'hook.example.com': ['169.254.169.254'] }, true),
    { code: 'address_not_allowed', message: /metadata/ },
  );
  await assert.rejects(
    lookupOnce({ 'hook.example.com': ['fe80::1'] }, true),
    { code: 'address_not_allowed', message: /link-local/ },
  );
});

test('with private addresses allowed, metadata addresses stay refused', async () => {
  // INGEST_ALLOW_PRIVATE_URLS (SPEC §6) lets private, loopback and
  // link-local servers in, never a cloud's metadata endpoint.
  const answer = (address: string) =>
    lookupOnce({ 'hook.example.com': [address] }, false, 0, true);
  for (const address of ['10.0.0.5', '127.0.0.1', '::1', '169.254.1.1']) {
    assert.equal(await answer(address), address);
  }
  const metadata = [
    '169.254.169.254',
    '::ffff:169.254.169.254',
    '169.254.170.2',
    '100.100.100.200',
    'fd00:ec2::254',
  ];
  for (const address of metadata) {
    await assert.rejects(answer(address), {
      code: 'address_not_allowed',
      message: /is a cloud metadata address$/,
    });
  }
});

test('one private answer among public ones refuses the name', async () => {
  await assert.rejects(
    lookupOnce({ 'hook.example.com': ['93.184.216.34', '10.1.2.3'] }, true),
    { code: 'address_not_allowed' },
  );
});

test('the lookup hands public answers on in both callback shapes', async () => {
  const table = { 'hook.example.com': ['93.184.216.34', '2606:2800::1'] };
  assert.equal(await lookupOnce(table, false), '93.184.216.34');
  assert.deepEqual(await lookupOnce(table, true), [
    { address: '93.184.216.34', family: 4 },
    { address: '2606:2800::1', family: 6 },
  ]);
  assert.equal(await lookupOnce(table, false, 6), '2606:2800::1');
  await assert.rejects(lookupOnce({}, false), { code: 'ENOTFOUND' });
});
