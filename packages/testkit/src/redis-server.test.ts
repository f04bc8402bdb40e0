import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ChildStartError } from './child-start-error';
import { RedisServer } from './redis-server';
import { withDeadline } from './wait-until';

const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

test('stop after the server died of a signal returns at once', async () => {
  const server = await RedisServer.start();
  try {
    server.killNow();
    await server.exited; // its 'exit' event has come and gone

    await withDeadline(server.stop(), {
      timeoutMs: 5_000,
      message: 'stop waited for an exit that had already happened',
    });
  } finally {
    await server.close();
  }
});

test('start again on the same port after a stop', async () => {
  const server = await RedisServer.start({ stopTimeoutMs: 10_000 });
  try {
    await server.stop();
    assert.equal(await refuses(server.port), true);
    await server.resume();
    assert.equal(await refuses(server.port), false);
  } finally {
    await server.close();
  }
});

// `npm start` brings its redis-server back with `resume`. With the binary
// gone meanwhile (a package upgrade), the spawn error was not listened
// to, and ended the whole process instead of failing the restart.
test('resume fails plainly when redis-server cannot be run any more', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-redis-bin-'));
  const binary = path.join(dir, 'redis-server');
  await symlink(await onPath('redis-server'), binary);
  const server = await RedisServer.start({ command: binary });
  try {
    await server.stop();
    await unlink(binary);
    await assert.rejects(server.resume(), (err: unknown) => {
      assert.ok(err instanceof ChildStartError);
      assert.equal(
        err.summary,
        `could not run ${binary}: spawn ${binary} ENOENT`,
      );
      return true;
    });
    assert.equal((await server.exited).signal, null);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a redis-server that exits at start says why in one line', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-redis-aof-'));
  await mkdir(path.join(dir, 'appendonlydir'));
  await writeFile(
    path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'),
    'not a manifest\n',
  );
  try {
    await assert.rejects(RedisServer.start({ dir }), (err: unknown) => {
      assert.ok(err instanceof ChildStartError);
      assert.match(
        err.summary,
        /^redis-server exited during its start \(127\.0\.0\.1:\d+, dir .*\): /,
      );
      assert.match(err.summary, /: Invalid AOF manifest file format$/);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** The full path of `command` as the PATH finds it. */
function onPath(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', `command -v ${command}`], (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout.trim());
    });
  });
}
