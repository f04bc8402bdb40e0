// The image's HEALTHCHECK (deploy/docker/healthcheck.mjs) asks the port of
// whichever service the container runs, so a transcoder or notifier started
// from the image with plain `docker run` is not reported unhealthy forever.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { SERVICE_NODE_FLAGS } from '@ingest/build';
import { repoPath } from './repo-files';

interface HealthPortModule {
  serviceOf(commandLine: string[]): string | undefined;
  healthPort(
    args: string[],
    env: Record<string, string | undefined>,
    commandLine: string[],
  ): string;
  firstProcessCommandLine(file?: string): string[];
}

const { serviceOf, healthPort, firstProcessCommandLine } = (await import(
  pathToFileURL(repoPath('deploy/docker/health-port.mjs')).href
)) as HealthPortModule;

const command = (name: string) => [
  'node',
  ...SERVICE_NODE_FLAGS,
  `dist/${name}.mjs`,
];
// What `docker run --init` and compose `init: true` leave as process 1.
const underInit = (name: string) => ['/sbin/docker-init', '--', ...command(name)];

/** The exit code of the script; run async, as the server is in-process. */
async function checkExit(env: Record<string, string>, args: string[] = []) {
  const child = spawn(
    process.execPath,
    [repoPath('deploy/docker/healthcheck.mjs'), ...args],
    { env: { PATH: process.env.PATH, ...env }, timeout: 10_000 },
  );
  const [code] = await once(child, 'exit');
  return code as number | null;
}

describe('container healthcheck', () => {
  test('finds the service in the first process, with or without an init', () => {
    for (const name of ['gateway', 'transcoder', 'notifier']) {
      assert.equal(serviceOf(command(name)), name);
      assert.equal(serviceOf(underInit(name)), name);
    }
    assert.equal(serviceOf(['node', '/app/dist/notifier.mjs']), 'notifier');
    assert.equal(serviceOf(['node', 'dist/other.mjs']), undefined);
    assert.equal(serviceOf([]), undefined);
  });

  test('asks the port of the service the container runs', () => {
    const env = { PORT: '8081', TRANSCODER_PORT: '9201', NOTIFIER_PORT: '' };
    assert.equal(healthPort([], env, underInit('gateway')), '8081');
    assert.equal(healthPort([], env, underInit('transcoder')), '9201');
    // An empty setting counts as unset, as packages/config reads it.
    assert.equal(healthPort([], env, command('notifier')), '9102');
    assert.equal(healthPort([], {}, command('transcoder')), '9101');
    assert.equal(healthPort([], {}, []), '8080');

    const given = { ...env, HEALTH_PORT: '7000' };
    assert.equal(healthPort([], given, underInit('transcoder')), '7000');
    assert.equal(healthPort(['7001'], given, underInit('notifier')), '7001');
  });

  test('reads the command line the kernel gives, NUL-separated', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-health-'));
    try {
      const file = path.join(dir, 'cmdline');
      fs.writeFileSync(file, `${underInit('transcoder').join('\0')}\0`);
      assert.deepEqual(firstProcessCommandLine(file), underInit('transcoder'));
      assert.deepEqual(firstProcessCommandLine(path.join(dir, 'none')), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('exits 0 when /healthz answers 200, 1 otherwise', async () => {
    const server = http.createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? 200 : 404;
      res.end();
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    const { port } = server.address() as AddressInfo;
    try {
      assert.equal(await checkExit({ HEALTH_PORT: String(port) }), 0);
      assert.equal(await checkExit({}, [String(port)]), 0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // Nothing listens there any more.
    assert.equal(await checkExit({ HEALTH_PORT: String(port) }), 1);
  });
});
