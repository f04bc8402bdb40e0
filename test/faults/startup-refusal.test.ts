/**
 * Fault: what a service needs is missing at start. Each service refuses
 * a Redis that may evict keys, and the transcoder refuses an ffmpeg
 * without an encoder it needs; the message says what to fix.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { defaultBinaryPaths } from '@ingest/media';
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
    assert.match(message, /exited with 1/);
    assert.match(message, /maxmemory-policy is \\?"allkeys-lru\\?"/);
    assert.match(message, /CONFIG SET maxmemory-policy noeviction/);
    // Each service says it the same way, with the error whole (its stack).
    const fatal = JSON.parse(fatalJson(message) ?? '{}');
    assert.equal(fatal.msg, `${name} could not start`);
    assert.equal(fatal.err?.type, 'PreflightError');
    console.log(`# observed ${name}: ${fatalLine(message)}`);
  });
}

for (const name of ['gateway', 'transcoder', 'notifier'] as const) {
  test(`${name} refuses a bad setting on its fatal line`, async () => {
    const { refused, message } = await start(name, {
      REDIS_URL: good.url,
      [PORT_VAR[name]]: 'eighty',
    });
    assert.ok(refused, `${name} started`);
    assert.match(message, /exited with 1/);
    const fatal = JSON.parse(fatalJson(message) ?? '{}');
    assert.equal(fatal.msg, `${name} could not start`);
    assert.equal(fatal.err?.type, 'ConfigError');
    assert.match(fatal.err?.message, new RegExp(`${PORT_VAR[name]}: expected`));
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
  assert.match(message, /exited with 1/);
  assert.match(message, /ffmpeg lacks encoders libmp3lame/);
  assert.match(message, /FFMPEG_PATH/);
  console.log(`# observed: ${fatalLine(message)}`);
});

test('control: the same start succeeds with noeviction and real ffmpeg', async () => {
  for (const name of ['gateway', 'transcoder', 'notifier'] as const) {
    const { refused, message } = await start(name, { REDIS_URL: good.url });
    assert.equal(refused, false, message);
  }
});

/** The message of the service's own fatal log line, for the report. */
function fatalLine(output: string): string {
  const line = fatalJson(output);
  if (!line) return output.slice(-240);
  const { err, msg } = JSON.parse(line);
  return `${msg}: ${err?.message}`;
}

/** The service's fatal log line (pino level 60), if it printed one. */
function fatalJson(output: string): string | undefined {
  return output.split('\n').find((l) => /"level":60/.test(l));
}
