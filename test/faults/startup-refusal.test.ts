/**
 * Fault: what a service needs is missing at start. Each service refuses
 * a Redis that may evict keys, a bad setting and a port another process
 * holds, and the transcoder refuses an ffmpeg without an encoder it
 * needs; the message says what to fix. A refusal is its fatal JSON line
 * without a stack, and one plain line `<name> could not start: <what is
 * wrong>` on stderr: the stack trace of a refusal buried that line. An
 * error no check foresaw keeps its stack (run-service.test.ts).
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { defaultBinaryPaths } from '@ingest/media';
import { createRedis } from '@ingest/queue';
import {
  RedisServer,
  ServiceProcess,
  ffmpegWrapper,
  freePort,
  type ServiceName,
} from '@ingest/testkit';

let dir: string;
let evicting: RedisServer;
let good: RedisServer;
const started: ServiceProcess[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fault-start-'));
  evicting = await RedisServer.start({
    args: ['--maxmemory-policy', 'allkeys-lru'],
  });
  good = await RedisServer.start();
});

after(async () => {
  await Promise.all(started.map((s) => s.stop('SIGTERM')));
  await evicting?.close();
  await good?.close();
  await rm(dir, { recursive: true, force: true });
});

const PORT_VAR: Record<ServiceName, string> = {
  gateway: 'PORT',
  transcoder: 'TRANSCODER_PORT',
  notifier: 'NOTIFIER_PORT',
};

/** Starts a service; answers its exit code and output if it refused. */
async function start(
  name: ServiceName,
  env: Record<string, string>,
): Promise<{ refused: boolean; message: string }> {
  const port = await freePort();
  try {
    const service = await ServiceProcess.start(name, {
      port,
      readyTimeoutMs: 60_000,
      env: {
        [PORT_VAR[name]]: String(port),
        HOST: '127.0.0.1',
        INGEST_DATA_DIR: path.join(dir, name),
        // One store for the services of one Redis, as in a deployment.
        STORAGE_URL: `file://${path.join(dir, 'storage')}`,
        LOG_LEVEL: 'info',
        ...env,
      },
    });
    started.push(service);
    return { refused: false, message: '' };
  } catch (err) {
    return { refused: true, message: (err as Error).message };
  }
}

for (const name of ['gateway', 'transcoder', 'notifier'] as const) {
  test(`${name} refuses a Redis with maxmemory-policy allkeys-lru`, async () => {
    const { refused, message } = await start(name, {
      REDIS_URL: evicting.url,
    });
    assert.ok(refused, `${name} started`);
    // Each service says it the same way.
    const told = assertRefusedPlainly(name, message, 'PreflightError');
    assert.match(told, /maxmemory-policy is "allkeys-lru"/);
    assert.match(told, /CONFIG SET maxmemory-policy noeviction/);
    console.log(`# observed ${name}: ${told}`);
  });
}

for (const name of ['gateway', 'transcoder', 'notifier'] as const) {
  test(`${name} refuses a bad setting in one plain line`, async () => {
    const { refused, message } = await start(name, {
      REDIS_URL: good.url,
      [PORT_VAR[name]]: 'eighty',
    });
    assert.ok(refused, `${name} started`);
    const told = assertRefusedPlainly(name, message, 'ConfigError');
    const expected = `^invalid configuration: ${PORT_VAR[name]}: expected`;
    assert.match(told, new RegExp(expected));
  });
}

// Malformed settings an operator may well write. REDIS_URL with another
// scheme was taken, and ioredis read it as a socket path for ever: the
// service never refused. A bad STORAGE_URL passed the settings and was
// refused later, as an error with its stack.
const MALFORMED: [ServiceName, Record<string, string>, RegExp][] = [
  ['transcoder', { TRANSCODER_CONCURRENCY: 'abc' }, /CONCURRENCY: expected/],
  ['notifier', { REDIS_URL: 'http://127.0.0.1:1/' }, /REDIS_URL: expected redis:/],
  ['gateway', { STORAGE_URL: 's3://' }, /STORAGE_URL: "" is not a valid bucket/],
  ['transcoder', { STORAGE_URL: 'file://elsewhere/x' }, /STORAGE_URL: File URL host/],
];
for (const [name, env, problem] of MALFORMED) {
  const [[variable, value]] = Object.entries(env);
  test(`${name} refuses ${variable}=${value} in one plain line`, async () => {
    const { refused, message } = await start(name, {
      REDIS_URL: good.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    });
    assert.ok(refused, `${name} started`);
    const told = assertRefusedPlainly(name, message, 'ConfigError');
    assert.match(told, /^invalid configuration: /);
    assert.match(told, problem);
  });
}

test('transcoder refuses an ffmpeg without libmp3lame', async () => {
  // Hides LAME from the encoder list; otherwise the real ffmpeg.
  const real = defaultBinaryPaths().ffmpegPath;
  const wrapper = await ffmpegWrapper(path.join(dir, 'ffmpeg-without-lame'), [
    'for arg in "$@"; do',
    '  if [ "$arg" = "-encoders" ]; then',
    `    '${real}' "$@" | grep -v libmp3lame`,
    '    exit 0',
    '  fi',
    'done',
  ]);

  const { refused, message } = await start('transcoder', {
    REDIS_URL: good.url,
    FFMPEG_PATH: wrapper,
  });
  assert.ok(refused, 'transcoder started');
  const told = assertRefusedPlainly('transcoder', message, 'StartRefusal');
  assert.match(told, /ffmpeg lacks encoders libmp3lame/);
  assert.match(told, /FFMPEG_PATH/);
  console.log(`# observed: ${told}`);
});

for (const name of ['gateway', 'transcoder', 'notifier'] as const) {
  test(`${name} refuses a port another process holds, naming it`, async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const { refused, message } = await start(name, {
        REDIS_URL: good.url,
        [PORT_VAR[name]]: String(port),
      });
      assert.ok(refused, `${name} started`);
      const told = assertRefusedPlainly(name, message, 'StartRefusal');
      assert.equal(
        told,
        `cannot listen on 127.0.0.1:${port}: another process holds the ` +
          `port; stop it or set ${PORT_VAR[name]} to a free port`,
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
}

// A service started alone on a port in use marked its new store as its
// Redis's catalog's (the mark in the store, the store in Redis) before
// its listen failed: the catalog then refused the store it meant to use.
for (const name of ['gateway', 'transcoder', 'notifier'] as const) {
  test(`${name} refused for its port leaves no store mark or record`, async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    const fresh = await RedisServer.start();
    const parent = path.join(dir, `port-taken-${name}`);
    await mkdir(parent);
    const dataDir = path.join(parent, 'data');
    try {
      const { refused, message } = await start(name, {
        REDIS_URL: fresh.url,
        [PORT_VAR[name]]: String(port),
        INGEST_DATA_DIR: dataDir,
        STORAGE_URL: `file://${path.join(dataDir, 'storage')}`,
      });
      assert.ok(refused, `${name} started`);
      assert.match(assertRefusedPlainly(name, message, 'StartRefusal'), /another process/);
      assert.deepEqual(await readdir(parent), [], message);
      const redis = createRedis(fresh.url);
      try {
        assert.deepEqual(await redis.keys('*'), []);
      } finally {
        redis.disconnect();
      }
    } finally {
      await new Promise((resolve) => holder.close(resolve));
      await fresh.close();
    }
  });
}

// A service started alone on an INGEST_DATA_DIR that was not there made
// it, refused, and left it behind: an empty folder for each failed try.
test('a refused start removes the data dir it made, and no other', async () => {
  const nothingThere = `redis://127.0.0.1:${await freePort()}`;
  const refusals: [ServiceName, Record<string, string>][] = [
    ['gateway', { REDIS_URL: nothingThere }],
    ['transcoder', { REDIS_URL: evicting.url }],
    ['notifier', { REDIS_URL: evicting.url }],
    ['gateway', { REDIS_URL: good.url, STORAGE_URL: 's3://' }],
    ['transcoder', { REDIS_URL: good.url, STORAGE_URL: 'file://elsewhere/x' }],
  ];
  for (const [i, [name, env]] of refusals.entries()) {
    const parent = path.join(dir, `fresh-${i}`);
    await mkdir(parent);
    const dataDir = path.join(parent, 'new', 'data');
    const { refused, message } = await start(name, {
      INGEST_DATA_DIR: dataDir,
      // The default store, in the data dir.
      STORAGE_URL: `file://${path.join(dataDir, 'storage')}`,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    });
    assert.ok(refused, `${name} started`);
    assert.deepEqual(await readdir(parent), [], `${name}, ${JSON.stringify(env)}:\n${message}`);
  }

  // A data dir that was there stays, empty as it was.
  const there = path.join(dir, 'there');
  await mkdir(there);
  const { refused } = await start('notifier', {
    INGEST_DATA_DIR: there,
    REDIS_URL: evicting.url,
  });
  assert.ok(refused, 'notifier started');
  await access(there);
});

test('control: the same start succeeds with noeviction and real ffmpeg', async () => {
  for (const name of ['gateway', 'transcoder', 'notifier'] as const) {
    const { refused, message } = await start(name, { REDIS_URL: good.url });
    assert.equal(refused, false, message);
  }
});

/**
 * Checks that `name` refused its start plainly: exit 1; its fatal JSON
 * line names the refusal (`type`) without an `err` or a stack; one plain
 * line says the same; no stack anywhere. Answers what it said was wrong.
 */
function assertRefusedPlainly(
  name: ServiceName,
  output: string,
  type: string,
): string {
  assert.match(output, new RegExp(`${name} exited with 1`));
  const fatal = JSON.parse(fatalJson(output) ?? '{}');
  assert.equal(fatal.msg, `${name} could not start`, output);
  assert.equal(fatal.refusal?.type, type, output);
  assert.equal(fatal.err, undefined, 'the refusal logged as an error');
  const told: string = fatal.refusal.message;
  const plain = output.split('\n').filter((l) => !l.startsWith('{'));
  assert.ok(
    plain.includes(`${name} could not start: ${told}`),
    `no plain line:\n${output}`,
  );
  assert.doesNotMatch(output, /^\s+at /m, 'a stack trace');
  assert.doesNotMatch(told, /\n/);
  return told;
}

/** The service's fatal log line (pino level 60), if it printed one. */
function fatalJson(output: string): string | undefined {
  return output.split('\n').find((l) => /"level":60/.test(l));
}
