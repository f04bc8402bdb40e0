/**
 * The README's front door: `npm start` in a real terminal (tmux), its
 * output piped into `tee` as people do to keep a log. One Ctrl-C must
 * stop every process it started, although the same Ctrl-C ends `tee`
 * and reaches npm and the stack script alike.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { freePort, waitUntil } from '@ingest/testkit';
import { processesOf } from './stack-processes';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const hasTmux = () => run('tmux', ['-V']).then(() => true, () => false);

test('npm start | tee: one Ctrl-C stops the whole stack', async (t) => {
  if (!(await hasTmux())) {
    t.skip('tmux is not installed (apt-get install -y tmux)');
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-npm-start-'));
  const dataDir = path.join(dir, 'data');
  const log = path.join(dir, 'start.log');
  const socket = `ingest-start-test-${process.pid}`;
  const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args]);
  const env = {
    INGEST_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    TRANSCODER_PORT: String(await freePort()),
    NOTIFIER_PORT: String(await freePort()),
  };
  await tmux(
    'new-session', '-d', '-s', 'stack', '-x', '160', '-y', '40', '-c', ROOT,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    `npm start 2>&1 | tee '${log}'`,
  );
  let started: number[] = [];
  try {
    await waitUntil(
      async () => (await readFile(log, 'utf8').catch(() => '')).includes(
        'Ctrl-C stops everything',
      ),
      { timeoutMs: 120_000, message: 'npm start never said it was running' },
    );
    started = await processesOf(dataDir);
    // npm, the stack script, Redis and the three services at least.
    assert.ok(started.length >= 5, `only ${started.length} processes`);

    // Private URLs are allowed in this stack: it keeps to loopback.
    for (const port of [env.PORT, env.TRANSCODER_PORT, env.NOTIFIER_PORT]) {
      assert.deepEqual(await listeningOn(Number(port)), ['127.0.0.1'], port);
    }

    // As a person would: some seconds later, everything idle.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await tmux('send-keys', '-t', 'stack', 'C-c');
    const left = await waitUntil(
      async () => {
        const alive = (await processesOf(dataDir)).filter((pid) =>
          started.includes(pid),
        );
        return alive.length === 0 && 'none';
      },
      { timeoutMs: 45_000, message: 'processes of the stack still run after Ctrl-C' },
    ).catch(async (err: Error) => {
      const alive = await processesOf(dataDir);
      const commands = await Promise.all(alive.map((pid) =>
        readFile(`/proc/${pid}/cmdline`, 'utf8').then(
          (c) => `${pid}: ${c.split('\0').join(' ').slice(0, 120)}`,
          () => `${pid}: ?`,
        )));
      const said = await readFile(log, 'utf8').catch(() => '');
      throw new Error(
        `${err.message}:\n${commands.join('\n')}\n` +
          `--- what npm start printed (last 4000 characters):\n` +
          said.slice(-4000),
      );
    });
    assert.equal(left, 'none');
    console.log(`# observed: ${started.length} processes, all gone after one Ctrl-C`);
  } finally {
    await tmux('kill-server').catch(() => {});
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await rm(dir, { recursive: true, force: true });
  }
});

/** The IPv4 and IPv6 addresses a TCP port listens on, from /proc. */
async function listeningOn(port: number): Promise<string[]> {
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8')).split('\n').slice(1);
    for (const row of rows) {
      const [, local, , state] = row.trim().split(/\s+/);
      if (state !== '0A' || !local) continue; // 0A: LISTEN
      const [address, hexPort] = local.split(':');
      if (parseInt(hexPort, 16) !== port) continue;
      found.push(address === '0100007F' ? '127.0.0.1' : address);
    }
  }
  return found;
}
