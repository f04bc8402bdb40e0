import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
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
    };
    await sender.send(mail);
    await sender.send(mail);
    await sender.send({ ...mail, key: 'm-evt_2-oncomplete-abc' });
    await sender.close();
    await sender.close();

    const files = await readdir(dir);
    assert.equal(files.length, 2);
    assert.ok(files.every((f) => f.endsWith('.eml')), 'no temp file left');
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
