/**
 * `npm start` on a port another process listens on: that process may
 * well answer /readyz (another stack), which the start took for its own
 * gateway. It must refuse to start instead, naming the variable to
 * change, and leave nothing running. Two of its own services given one
 * port are refused the same way: the transcoder, bound first, answered
 * the gateway's /readyz, so the start said it was running while its
 * gateway failed to bind, again and again.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { freePort, listenOnLoopback } from '@ingest/testkit';
import { processesOf } from './stack-processes';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BANNER = 'catalog-ingest is running';

interface Ports {
  PORT: string;
  TRANSCODER_PORT: string;
  NOTIFIER_PORT: string;
}

/**
 * Runs `npm start`'s script with these ports until it exits or prints
 * its banner; checks it refused, matching `refusal`, and left nothing.
 */
async function assertRefused(ports: Ports, refusal: RegExp): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-ports-'));
  const dataDir = path.join(dir, 'data');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/start-stack.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, INGEST_DATA_DIR: dataDir, ...ports },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const outcome = new Promise<number | null | 'banner'>((resolve) => {
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(BANNER)) resolve('banner');
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', (code) => resolve(code));
  });
  try {
    const result = await outcome;
    assert.notEqual(result, 'banner', `started on a taken port:\n${output}`);
    assert.equal(result, 1, output);
    assert.match(output, refusal);
    assert.deepEqual(await processesOf(dataDir), [], 'nothing left running');
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
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
