import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { RedisServer } from './redis-server';
import { waitUntil, withDeadline } from './wait-until';

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
    await waitUntil(() => refuses(server.port), {
      message: `redis-server :${server.port} still listens after SIGKILL`,
    });
    await delay(200); // its 'exit' event has come and gone

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
