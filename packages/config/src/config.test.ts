import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, type ConfigOptions } from './config';

test('defaults follow SPEC §6', () => {
  const config = loadConfig({});
  assert.equal(config.port, 8080);
  assert.equal(config.allowPrivateUrls, false);
  assert.match(config.storageUrl, /^file:\/\/.*\/var\/storage$/);
  assert.deepEqual(config.webhookScheduleMs.slice(0, 2), [5_000, 300_000]);
  assert.ok(Object.isFrozen(config));
});

test('the rest of SPEC §6 and §2 defaults', () => {
  const config = loadConfig({});
  assert.equal(config.dataDir, path.resolve('var'));
  assert.equal(config.storageUrl, `file://${path.resolve('var', 'storage')}`);
  assert.equal(config.smtpUrl, undefined);
  assert.equal(config.transcoderConcurrency, os.availableParallelism());
  assert.equal(config.dev.token, undefined);
  assert.equal(config.dev.webhookSecret, undefined);
  // Autopublish: 10 minutes idle or 1000 uploads, whichever is first.
  assert.equal(config.autopublishIdleMs, 10 * 60_000);
  assert.equal(config.autopublishMaxUploads, 1000);
  // A site's job-completion emails: 100 an hour, the rest wait.
  assert.equal(config.emailsPerSiteHour, 100);
  assert.equal(loadConfig({ INGEST_EMAILS_PER_SITE_HOUR: '5' }).emailsPerSiteHour, 5);
  assert.throws(() => loadConfig({ INGEST_EMAILS_PER_SITE_HOUR: '0' }), ConfigError);
  // Webhook retries: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about a day).
  const hour = 3_600_000;
  assert.deepEqual(config.webhookScheduleMs, [
    5_000, 300_000, 1_800_000, 2 * hour, 5 * hour, 10 * hour, 10 * hour,
  ]);
});

test('every bad variable is named at once', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', INGEST_WEBHOOK_SCHEDULE: '5x' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 2);
      assert.match(err.message, /PORT/);
      assert.match(err.message, /INGEST_WEBHOOK_SCHEDULE/);
      return true;
    },
  );
});

test('a REDIS_URL ioredis would not read as one is refused, in one line', () => {
  for (const url of ['http://127.0.0.1:6390/', 'redis//127.0.0.1', 'redis://:1']) {
    assert.throws(
      () => loadConfig({ REDIS_URL: url }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, url);
        assert.equal(
          err.message,
          'invalid configuration: REDIS_URL: expected ' +
            'redis://[:password@]host[:port][/db] or rediss://…',
        );
        return true;
      },
    );
  }
  for (const url of ['redis://:pw@cache.internal:6380/2', 'rediss://[::1]:6379']) {
    assert.equal(loadConfig({ REDIS_URL: url }).redisUrl, url);
  }
});

test('an SMTP_URL nodemailer would not read as a server is refused', () => {
  // `localhost:25` is a URL whose scheme is `localhost:`: nodemailer
  // took it for host 0.0.0.25, and the notifier started all the same.
  const refused = [
    'localhost:25',
    'mail.example.com:587',
    'http://mail.example.com',
    'smtp://:25',
  ];
  for (const url of refused) {
    assert.deepEqual(
      problems({ SMTP_URL: url }),
      ['SMTP_URL: expected smtp://[user:password@]host[:port] or smtps://…'],
      url,
    );
  }
  const taken = ['smtp://mailpit:1025', 'smtps://u:p%40ss@smtp.example.com:465'];
  for (const url of taken) {
    assert.equal(loadConfig({ SMTP_URL: url }).smtpUrl, url);
  }
});

/** The problems loadConfig finds in `env`, in the schema's order. */
function problems(env: Record<string, string>, options?: ConfigOptions): string[] {
  try {
    loadConfig(env, options);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

test('a number that is no number says what was expected', () => {
  assert.deepEqual(problems({ PORT: 'eighty' }), [
    'PORT: expected a whole number from 0 to 65535',
  ]);
  assert.deepEqual(problems({ PORT: '70000', TRANSCODER_CONCURRENCY: '0' }), [
    'PORT: too large: expected a whole number from 0 to 65535',
    'TRANSCODER_CONCURRENCY: expected a whole number from 1 up',
  ]);
  assert.deepEqual(problems({ INGEST_FETCH_MAX_REDIRECTS: '2.5' }), [
    'INGEST_FETCH_MAX_REDIRECTS: expected a whole number from 0 up',
  ]);
});

test('ports fixed for npm start run from 1, and their refusals say so', () => {
  const ports = ['PORT', 'GATEWAY_OPS_PORT', 'TRANSCODER_PORT', 'NOTIFIER_PORT'];
  const each = (value: string) => Object.fromEntries(ports.map((name) => [name, value]));
  const fixed = (env: Record<string, string>) => problems(env, { fixedPortsFor: 'npm start' });
  // "from 0 to 65535" was said, and npm start then refused 0.
  assert.deepEqual(
    fixed(each('abc')),
    ports.map((name) => `${name}: expected a whole number from 1 to 65535`),
  );
  assert.deepEqual(
    fixed(each('70000')),
    ports.map((name) => `${name}: too large: expected a whole number from 1 to 65535`),
  );
  assert.deepEqual(
    fixed(each('0')),
    ports.map(
      (name) =>
        `${name}: 0 lets the system pick one, and npm start needs a fixed port: ` +
        'expected a whole number from 1 to 65535',
    ),
  );
  assert.equal(loadConfig(each('1'), { fixedPortsFor: 'npm start' }).notifierPort, 1);
  // A service alone takes 0: a free port the system picks.
  const any = loadConfig(each('0'));
  assert.deepEqual(
    [any.port, any.gatewayOpsPort, any.transcoderPort, any.notifierPort],
    [0, 0, 0, 0],
  );
});

test('a whole number past 2^53 - 1 is said to be too large, naming the largest', () => {
  const unbounded = [
    'TRANSCODER_CONCURRENCY',
    'INGEST_IMPORT_CONCURRENCY',
    'INGEST_FETCH_MAX_REDIRECTS',
    'INGEST_MAX_CONNECTIONS',
    'INGEST_MAX_CONNECTIONS_PER_CLIENT',
    'INGEST_EMAILS_PER_SITE_HOUR',
    'INGEST_AUTOPUBLISH_MAX_UPLOADS',
  ];
  const ports = ['PORT', 'GATEWAY_OPS_PORT', 'TRANSCODER_PORT', 'NOTIFIER_PORT'];
  const largest = String(Number.MAX_SAFE_INTEGER);
  // 2^53 + 1 reads as 2^53; past about 1.8e308 a number is Infinity.
  for (const value of ['9007199254740993', '99999999999999999999', '9'.repeat(400)]) {
    const env = Object.fromEntries([...unbounded, ...ports].map((name) => [name, value]));
    const sizes = ['INGEST_MAX_SOURCE_BYTES', 'INGEST_SITE_QUOTA'];
    const said = problems({
      ...env,
      ...Object.fromEntries(sizes.map((name) => [name, value])),
    });
    const expected = [
      ...ports.map((name) => `${name}: too large: expected a whole number from 0 to 65535`),
      ...sizes.map(
        (name) =>
          `${name}: too large: expected a size of at most ${largest} bytes ` +
          '(8 PiB less one)',
      ),
      ...unbounded.map((name) => {
        const min = name === 'INGEST_FETCH_MAX_REDIRECTS' ? 0 : 1;
        return `${name}: too large: expected a whole number from ${min} to ${largest} (2^53 - 1)`;
      }),
    ];
    assert.deepEqual([...said].sort(), expected.sort(), value.slice(0, 30));
  }
  // The largest is taken.
  const taken = loadConfig({ INGEST_EMAILS_PER_SITE_HOUR: largest });
  assert.equal(taken.emailsPerSiteHour, Number.MAX_SAFE_INTEGER);
});

/** The settings a timer waits out (timerDuration). */
const TIME_LIMITS = [
    'INGEST_FETCH_TIMEOUT',
    'INGEST_TRANSCODE_TIMEOUT',
    'INGEST_TRANSCODE_LOCK',
    'INGEST_WEBHOOK_TIMEOUT',
    'INGEST_AUTOPUBLISH_IDLE',
    'INGEST_SHUTDOWN_TIMEOUT',
];

test('a time limit a timer waits is held to 24.8 days, and above 0', () => {
  // Past 2^31 - 1 ms a Node.js timer fires at once: every fetch or
  // ffmpeg run was cut short as it began.
  const timers = TIME_LIMITS;
  const tooLong = (name: string) =>
    `${name}: too long: expected a duration of at most 24d (2147483647 ms, ` +
    'the longest a timer waits)';
  for (const value of ['25d', '2147483648', '4w']) {
    const said = problems(Object.fromEntries(timers.map((name) => [name, value])));
    assert.deepEqual([...said].sort(), timers.map(tooLong).sort(), value);
  }
  const zero = problems(Object.fromEntries(timers.map((name) => [name, '0s'])));
  assert.deepEqual(
    [...zero].sort(),
    timers
      .filter((name) => name !== 'INGEST_SHUTDOWN_TIMEOUT')
      .map((name) => `${name}: expected a duration above 0, like 30s`)
      .sort(),
  );
  const longest = loadConfig({ INGEST_FETCH_TIMEOUT: '24d', INGEST_SHUTDOWN_TIMEOUT: '0' });
  assert.equal(longest.fetchTimeoutMs, 24 * 86_400_000);
  assert.equal(longest.shutdownTimeoutMs, 0);
});

test('a bare 1 to 999 is refused where no one means milliseconds', () => {
  // INGEST_SHUTDOWN_TIMEOUT=60 was a 60 ms deadline, not the minute meant.
  const long = [...TIME_LIMITS, 'INGEST_MAX_DURATION', 'INGEST_DOWNLOAD_URL_TTL'];
  for (const value of ['60', '1', '999', ' 2.5 ']) {
    const bare = value.trim();
    const said = problems(Object.fromEntries(long.map((name) => [name, value])));
    assert.deepEqual(
      [...said].sort(),
      long
        .map(
          (name) =>
            `${name}: a bare number is milliseconds, and ${bare} ms is too short ` +
            `to mean: write ${bare}s for seconds, or ${bare}ms if milliseconds are meant`,
        )
        .sort(),
      value,
    );
  }
  // With a unit it is what it says; a bare 0, or 1000 up, is still ms.
  const taken = loadConfig({
    INGEST_SHUTDOWN_TIMEOUT: '60s',
    INGEST_WEBHOOK_TIMEOUT: '500ms',
    INGEST_FETCH_TIMEOUT: '1000',
  });
  assert.equal(taken.shutdownTimeoutMs, 60_000);
  assert.equal(taken.webhookTimeoutMs, 500);
  assert.equal(taken.fetchTimeoutMs, 1000);
  assert.equal(loadConfig({ INGEST_SHUTDOWN_TIMEOUT: '0' }).shutdownTimeoutMs, 0);
  // Schedules keep bare milliseconds: short retry steps are meant there.
  assert.deepEqual(loadConfig({ INGEST_EMAIL_SCHEDULE: '100,200' }).emailScheduleMs, [100, 200]);
});

test('a download URL lives at most 7 days, as S3 presigns one', () => {
  // 2w was taken, and every redirected download then failed to presign.
  for (const value of ['2w', '8d', '604800001']) {
    assert.deepEqual(
      [...problems({ INGEST_DOWNLOAD_URL_TTL: value })],
      [
        'INGEST_DOWNLOAD_URL_TTL: too long: expected a duration of at most 7d, ' +
          'the longest a presigned S3 URL is valid',
      ],
      value,
    );
  }
  assert.equal(loadConfig({ INGEST_DOWNLOAD_URL_TTL: '1w' }).downloadUrlTtlMs, 604_800_000);
});

test('a switch takes the spellings of the API flags, in any case', () => {
  const allowed = (value: string) =>
    loadConfig({ INGEST_ALLOW_PRIVATE_URLS: value }).allowPrivateUrls;
  for (const on of ['1', 'true', 'yes', 'on', 'TRUE', 'Yes', 'On', ' on ']) {
    assert.equal(allowed(on), true, on);
  }
  for (const off of ['0', 'false', 'no', 'off', 'FALSE', 'No', 'OFF']) {
    assert.equal(allowed(off), false, off);
  }
});

test('a switch spelled otherwise is refused, naming the variable', () => {
  for (const value of ['2', 'enabled', 'y', 'onn', 'nope']) {
    assert.throws(
      () => loadConfig({ INGEST_ALLOW_PRIVATE_URLS: value }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems, [
          'INGEST_ALLOW_PRIVATE_URLS: expected 1/0, true/false, yes/no or on/off',
        ]);
        return true;
      },
      value,
    );
  }
});

test('INGEST_MAX_DURATION: 4 h by default, in the units of durations', () => {
  assert.equal(loadConfig({}).maxDurationMs, 4 * 3_600_000);
  assert.equal(loadConfig({ INGEST_MAX_DURATION: '90m' }).maxDurationMs, 5_400_000);
  assert.equal(loadConfig({ INGEST_MAX_DURATION: '10s' }).maxDurationMs, 10_000);
  for (const value of ['0', '500ms', 'long', '-1h']) {
    assert.throws(
      () => loadConfig({ INGEST_MAX_DURATION: value }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 1);
        assert.match(err.problems[0], /^INGEST_MAX_DURATION: expected a duration/);
        return true;
      },
      value,
    );
  }
});

test('a token too short says so as the other settings do', () => {
  assert.throws(
    () => loadConfig({ INGEST_DEV_TOKEN: 'short', INGEST_ADMIN_TOKEN: 'x' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        'INGEST_DEV_TOKEN: expected at least 16 characters',
        'INGEST_ADMIN_TOKEN: expected at least 16 characters',
      ]);
      return true;
    },
  );
});

test('INGEST_TRUST_PROXY takes addresses and CIDR ranges, none by default', () => {
  assert.deepEqual(loadConfig({}).trustProxy, []);
  assert.deepEqual(
    loadConfig({ INGEST_TRUST_PROXY: ' 10.0.0.0/8, 192.0.2.7 ,fd00::/8,::1' }).trustProxy,
    ['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1'],
  );
  assert.throws(
    () => loadConfig({ INGEST_TRUST_PROXY: '10.0.0.0/33,proxy.local,::1,1.2.3.4/8/1' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        'INGEST_TRUST_PROXY: expected IP addresses or CIDR ranges, comma-separated ' +
          '(10.0.0.0/8,::1), not 10.0.0.0/33, proxy.local, 1.2.3.4/8/1',
      ]);
      return true;
    },
  );
});

test('INGEST_SITE_QUOTA: off by default, a size with a unit', () => {
  assert.equal(loadConfig({}).siteQuotaBytes, undefined);
  assert.equal(loadConfig({ INGEST_SITE_QUOTA: '50GiB' }).siteQuotaBytes, 50 * 1024 ** 3);
  assert.equal(loadConfig({ INGEST_SITE_QUOTA: '2 MB' }).siteQuotaBytes, 2_000_000);
  assert.equal(loadConfig({ INGEST_SITE_QUOTA: '4096' }).siteQuotaBytes, 4096);
  for (const value of ['0', 'big', '-1GiB', '5 parsecs']) {
    assert.throws(
      () => loadConfig({ INGEST_SITE_QUOTA: value }),
      /INGEST_SITE_QUOTA: expected a size like 50GiB/,
      value,
    );
  }
});

test('INGEST_MAX_SOURCE_BYTES reads a size as INGEST_SITE_QUOTA does', () => {
  // `2GB` was refused here while the quota took it: one spelling for both.
  const max = (value: string) => loadConfig({ INGEST_MAX_SOURCE_BYTES: value }).maxSourceBytes;
  assert.equal(loadConfig({}).maxSourceBytes, 2 * 1024 ** 3);
  assert.equal(max('2GB'), 2e9);
  assert.equal(max('1.5 GiB'), 1.5 * 1024 ** 3);
  assert.equal(max('2147483648'), 2 * 1024 ** 3);
  for (const value of ['0', 'big', '-1GiB', '5 parsecs']) {
    assert.throws(
      () => loadConfig({ INGEST_MAX_SOURCE_BYTES: value }),
      /INGEST_MAX_SOURCE_BYTES: expected a size like 50GiB/,
      value,
    );
  }
});

test('the dev contact address is held to the API\'s rule, an IDN in its xn-- form', () => {
  const config = loadConfig({ INGEST_DEV_CONTACT_EMAIL: 'jo@bücher.de' });
  assert.equal(config.dev.contactEmail, 'jo@xn--bcher-kva.de');
  assert.throws(
    () => loadConfig({ INGEST_DEV_CONTACT_EMAIL: 'Jo <jo@example.com>' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        'INGEST_DEV_CONTACT_EMAIL: expected one plain email address (an ASCII name before the @)',
      ]);
      return true;
    },
  );
});
