/**
 * `npm start` on a port another process listens on: that process may
 * well answer /readyz (another stack), which the start took for its own
 * gateway. It must refuse to start instead, naming the variable to
 * change, and leave nothing running. Two of its own services given one
 * port are refused the same way: the transcoder, bound first, answered
 * the gateway's /readyz, so the start said it was running while its
 * gateway failed to bind, again and again. A refusal is one plain line
 * on stderr: a JSON log line with the stack inside buried its wording.
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, listenOnLoopback } from '@ingest/testkit';
import {
  assertRefusedPlainly,
  processesOf,
  stackPorts,
  startStack,
} from './stack-processes';

interface Ports {
  PORT: string;
  TRANSCODER_PORT: string;
  NOTIFIER_PORT: string;
  GATEWAY_OPS_PORT?: string;
}

/**
 * Runs `npm start`'s script with these ports until it exits or prints
 * its banner; checks it refused, matching `refusal`, and left nothing.
 */
async function assertRefused(ports: Ports, refusal: RegExp): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-ports-'));
  const dataDir = path.join(dir, 'data');
  const start = startStack({ INGEST_DATA_DIR: dataDir, ...ports });
  try {
    await assertRefusedPlainly(start, refusal);
    assert.deepEqual(await processesOf(dataDir), [], 'nothing left running');
    await assert.rejects(access(dataDir), { code: 'ENOENT' }, 'the data dir it made stayed');
  } finally {
    await start.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

test('npm start on a taken PORT refuses to start, naming it', async () => {
  // Another "gateway": ready, whoever asks.
  const other = await listenOnLoopback(
    http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ready"}');
    }),
  );
  const port = new URL(other.url).port;
  try {
    await assertRefused(
      {
        PORT: port,
        TRANSCODER_PORT: String(await freePort()),
        NOTIFIER_PORT: String(await freePort()),
      },
      new RegExp(`port in use on 127\\.0\\.0\\.1: PORT=${port}`),
    );
  } finally {
    await other.close();
  }
});

test('npm start with one port for two services refuses to start', async () => {
  const port = String(await freePort());
  await assertRefused(
    {
      PORT: port,
      TRANSCODER_PORT: port,
      NOTIFIER_PORT: String(await freePort()),
    },
    new RegExp(`PORT and TRANSCODER_PORT are both ${port}`),
  );
});

test('npm start with GATEWAY_OPS_PORT taken or shared refuses, naming it', async () => {
  // The gateway's second port is checked with the others: before, the
  // gateway failed to bind it and npm start told that in a second line.
  const port = String(await freePort());
  await assertRefused(
    {
      PORT: String(await freePort()),
      GATEWAY_OPS_PORT: port,
      TRANSCODER_PORT: port,
      NOTIFIER_PORT: String(await freePort()),
    },
    new RegExp(`GATEWAY_OPS_PORT and TRANSCODER_PORT are both ${port}`),
  );
  const other = await listenOnLoopback(http.createServer((_req, res) => res.end()));
  const taken = new URL(other.url).port;
  try {
    await assertRefused(
      {
        PORT: String(await freePort()),
        GATEWAY_OPS_PORT: taken,
        TRANSCODER_PORT: String(await freePort()),
        NOTIFIER_PORT: String(await freePort()),
      },
      new RegExp(`port in use on 127\\.0\\.0\\.1: GATEWAY_OPS_PORT=${taken};`),
    );
  } finally {
    await other.close();
  }
});

test('npm start with a port of 0 refuses at once, naming it', async () => {
  // The system's pick: npm start then waited 30 s for /readyz on port 0.
  await assertRefused(
    { ...(await stackPorts()), PORT: '0' },
    new RegExp(
      '^invalid configuration: PORT: 0 lets the system pick one, and npm start ' +
        'needs a fixed port: expected a whole number from 1 to 65535$',
    ),
  );
});

test('npm start with a port that is no number names the ports it takes', async () => {
  // It said "from 0 to 65535", and then refused 0.
  await assertRefused(
    {
      PORT: 'abc',
      GATEWAY_OPS_PORT: '-1',
      TRANSCODER_PORT: '70000',
      NOTIFIER_PORT: String(await freePort()),
    },
    new RegExp(
      '^invalid configuration: PORT: expected a whole number from 1 to 65535; ' +
        'GATEWAY_OPS_PORT: expected a whole number from 1 to 65535; ' +
        'TRANSCODER_PORT: too large: expected a whole number from 1 to 65535$',
    ),
  );
});

test('npm start refused keeps a data dir that was there, and the folders above', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-ports-'));
  const kept = path.join(dir, 'kept');
  await mkdir(kept);
  try {
    // One that was there (empty), and one it makes two folders into it.
    for (const dataDir of [kept, path.join(kept, 'new', 'data')]) {
      const ports = await stackPorts();
      const start = startStack({
        INGEST_DATA_DIR: dataDir,
        ...ports,
        NOTIFIER_PORT: ports.PORT,
      });
      try {
        await assertRefusedPlainly(start, /^PORT and NOTIFIER_PORT are both \d+/);
      } finally {
        await start.stop();
      }
      await access(kept);
    }
    await assert.rejects(access(path.join(kept, 'new')), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
