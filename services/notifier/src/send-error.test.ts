import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { createMailSender } from './mail-sender';
import { describeSendError, refusedForGood } from './send-error';

const MAIL = {
  to: 'ops@example.com',
  subject: 's',
  text: 't',
  html: '<p>t</p>',
  key: 'k',
};

/** What the delivery log says of a send to a server set up by `options`. */
async function failedSend(options: ConstructorParameters<typeof SMTPServer>[0]) {
  const server = new SMTPServer({ authOptional: true, logger: false, ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const outbox = await mkdtemp(path.join(os.tmpdir(), 'send-error-'));
  const sender = createMailSender({
    smtpUrl: `smtp://127.0.0.1:${port}`,
    from: 'ingest@example.com',
    outboxDir: outbox,
  });
  try {
    await sender.send(MAIL);
  } catch (err) {
    return err;
  } finally {
    await sender.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(outbox, { recursive: true, force: true });
  }
  assert.fail('the send was taken');
}

test('a STARTTLS that fails says why in the log', async () => {
  // smtp-server offers STARTTLS with its own certificate, which no
  // client trusts: the TLS code shows next to nodemailer's.
  const err = await failedSend({ disabledCommands: ['AUTH'] });
  const said = describeSendError(err);
  assert.match(said, /^ESOCKET \([A-Z0-9_]+\)$/, said);
  assert.equal(refusedForGood(err), false);
});

test('a 5xx to the recipient is a refusal for good, a 4xx is not', async () => {
  const refuse = (code: number) =>
    failedSend({
      disabledCommands: ['AUTH', 'STARTTLS'],
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error('no'), { responseCode: code }));
      },
    });
  const gone = await refuse(550);
  assert.equal(describeSendError(gone), 'smtp 550');
  assert.equal(refusedForGood(gone), true);
  const busy = await refuse(451);
  assert.equal(describeSendError(busy), 'smtp 451');
  assert.equal(refusedForGood(busy), false);
});

test("a 5xx to the sender or for want of a login is the operator's to fix", async () => {
  // MAIL FROM carries the operator's own address (its From), and 530
  // asks for the login SMTP_URL may lack: a retry may find them fixed.
  const sender = await failedSend({
    disabledCommands: ['AUTH', 'STARTTLS'],
    onMailFrom(_address, _session, callback) {
      callback(Object.assign(new Error('no'), { responseCode: 553 }));
    },
  });
  assert.equal(describeSendError(sender), 'smtp 553');
  assert.equal(refusedForGood(sender), false);
  const login = await failedSend({
    disabledCommands: ['AUTH', 'STARTTLS'],
    onRcptTo(_address, _session, callback) {
      callback(Object.assign(new Error('auth'), { responseCode: 530 }));
    },
  });
  assert.equal(describeSendError(login), 'smtp 530');
  assert.equal(refusedForGood(login), false);
});
