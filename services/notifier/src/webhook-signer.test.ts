import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { signWebhook } from './webhook-signer';

const secret = `whsec_${randomBytes(24).toString('base64')}`;

test('the standardwebhooks verifier accepts our signature', () => {
  const body = JSON.stringify({ type: 'job.completed', job_id: 7, ü: '✓' });
  const seconds = Math.floor(Date.now() / 1000);
  const headers = signWebhook({
    secret,
    id: 'evt_7_abc',
    timestamp: seconds + 0.7,
    body,
  });

  assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
  assert.equal(headers['webhook-timestamp'], String(seconds));
  assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
});

test('a changed body, id or secret fails verification', () => {
  const body = '{"a":1}';
  const timestamp = Date.now() / 1000;
  const headers = signWebhook({ secret, id: 'evt_1', timestamp, body });
  const other = `whsec_${randomBytes(24).toString('base64')}`;

  const verifier = new Webhook(secret);
  assert.throws(() => verifier.verify('{"a":2}', headers));
  assert.throws(() =>
    verifier.verify(body, { ...headers, 'webhook-id': 'evt_2' }),
  );
  assert.throws(() => new Webhook(other).verify(body, headers));
});

test('a secret without the whsec_ prefix signs the same', () => {
  const input = { id: 'evt_1', timestamp: 1_700_000_000, body: '{}' };
  assert.deepEqual(
    signWebhook({ ...input, secret }),
    signWebhook({ ...input, secret: secret.slice('whsec_'.length) }),
  );
  assert.throws(() => signWebhook({ ...input, secret: 'whsec_' }));
});

test('during a rotation both secrets sign: a receiver with either verifies', () => {
  const former = `whsec_${randomBytes(24).toString('base64')}`;
  const body = '{"type":"job.completed"}';
  const headers = signWebhook({
    secret: [secret, former],
    id: 'evt_9',
    timestamp: Date.now() / 1000,
    body,
  });

  assert.match(headers['webhook-signature'], /^v1,\S+ v1,\S+$/);
  assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
  assert.deepEqual(new Webhook(former).verify(body, headers), JSON.parse(body));
  const stranger = `whsec_${randomBytes(24).toString('base64')}`;
  assert.throws(() => new Webhook(stranger).verify(body, headers));
});
