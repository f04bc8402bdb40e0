import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '@ingest/testkit';
import { createMailSender } from './mail-sender';

test('a repeated outbox send replaces its file, never adds one', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'notifier-mail-'));
  try {
    const sender = createMailSender({ from: 'ingest@localhost', outboxDir: dir });
    const mail = {
      to: 'a@example.com',
      subject: 'Job 1 complete',
      text: 'hello',
      html: '<p>hello</p>',
      key: 'm-evt_1-oncomplete-abc',
      jobId: 17,
    };
    await sender.send(mail);
    await sender.send(mail);
    await sender.send({ ...mail, key: 'm-evt_2-oncomplete-abc' });
    await sender.close();
    await sender.close();

    const files = await readdir(dir);
    assert.equal(files.length, 2);
    assert.ok(files.every((f) => f.endsWith('.eml')), 'no temp file left');
    // Named by the job it tells of, for a person looking through them.
    assert.ok(files.every((f) => /^job-17-[0-9a-f]{32}\.eml$/.test(f)), files.join());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a multi-line From setting is refused', () => {
  assert.throws(() =>
    createMailSender({ from: 'a@b.c\r\nBcc: x@y.z', outboxDir: '/tmp/x' }),
  );
});

test('the outbox sender is ready only while its folder can be written', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'notifier-mail-'));
  try {
    const fresh = createMailSender({
      from: 'ingest@localhost',
      outboxDir: path.join(dir, 'outbox'),
    });
    assert.equal(await fresh.ready(), true);
    await writeFile(path.join(dir, 'a-file'), 'x');
    const blocked = createMailSender({
      from: 'ingest@localhost',
      outboxDir: path.join(dir, 'a-file'),
    });
    assert.equal(await blocked.ready(), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/**
 * An SMTP server that takes the message, then answers its end with
 * "250-" continuation lines for ever, a few a second (as a tarpit
 * does): each line is activity, so no idle timeout ever fires.
 */
async function tarpitSmtp() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write('220 tarpit ESMTP\r\n');
    let pending = '';
    let inData = false;
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end; (end = pending.indexOf('\r\n')) >= 0; ) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (inData) {
          if (line !== '.') continue;
          const drip = setInterval(() => socket.write('250-wait\r\n'), 100);
          socket.on('close', () => clearInterval(drip));
        } else if (/^DATA/i.test(line)) {
          inData = true;
          socket.write('354 go on\r\n');
        } else {
          socket.write('250 ok\r\n');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    get open() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

test('an SMTP send that never ends fails in bounded time', async () => {
  const tarpit = await tarpitSmtp();
  const sender = createMailSender({
    smtpUrl: tarpit.url,
    from: 'ingest@localhost',
    outboxDir: '/nonexistent',
    sendTimeoutMs: 1_000,
  });
  try {
    const sent = sender.send({
      to: 'a@example.com',
      subject: 'Job 1 complete',
      text: 'hello',
      html: '<p>hello</p>',
      key: 'm-evt_1-oncomplete-abc',
    });
    const outcome = await Promise.race([
      sent.then(
        () => 'sent',
        (err: Error & { code?: string }) => `failed: ${err.code}: ${err.message}`,
      ),
      // The tarpit would hold it for ever; this only ends a failing test.
      sleep(15_000).then(() => 'still sending after 15 s'),
    ]);
    // The send's own 1 s limit cut it (the default is 3 minutes).
    assert.equal(outcome, 'failed: timeout: SMTP send not done within 1 s');
    // Its connection is closed, not left to the tarpit.
    await waitUntil(() => tarpit.open === 0, {
      timeoutMs: 10_000,
      message: 'the connection to the tarpit is still open',
    });
  } finally {
    await sender.close();
    await tarpit.close();
  }
});
