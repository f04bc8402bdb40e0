import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '@ingest/core';
import { parseNotifyTarget } from './notify-target';

/** The error `parseNotifyTarget` throws for `value`. */
function refusal(value: string): ApiError {
  try {
    parseNotifyTarget(value);
  } catch (err) {
    assert.ok(err instanceof ApiError);
    return err;
  }
  assert.fail(`${value} was taken`);
}

test('http(s) URLs are webhooks, anything else one email address', () => {
  assert.deepEqual(parseNotifyTarget('HTTPS://hooks.example.com/a'), {
    kind: 'url',
    value: 'https://hooks.example.com/a',
  });
  assert.deepEqual(parseNotifyTarget('ops@example.com'), {
    kind: 'email',
    value: 'ops@example.com',
  });
  assert.equal(refusal('a@example.com, b@example.com').code, 'invalid_address');
});

test('a URL of another scheme is told it must be http(s)', () => {
  for (const value of ['ftp://files.example.com/x', 'mailto:ops@example.com']) {
    const err = refusal(value);
    assert.equal(err.code, 'invalid_address');
    assert.match(err.message, /http or https/, value);
  }
});

test('a URL without its scheme is told to start with http(s)://', () => {
  for (const value of ['127.0.0.1:9999/hook', 'hooks.example.com/catalog']) {
    const err = refusal(value);
    assert.equal(err.code, 'invalid_address');
    assert.match(err.message, /URL starting with http:\/\/ or https:\/\//, value);
  }
});

test('an international domain is taken in its ASCII form', () => {
  assert.deepEqual(parseNotifyTarget('jo@bücher.de'), {
    kind: 'email',
    value: 'jo@xn--bcher-kva.de',
  });
  assert.deepEqual(parseNotifyTarget('jo@xn--bcher-kva.de').value, 'jo@xn--bcher-kva.de');
  // Only the domain: a local part outside ASCII stays refused, and so do
  // lists and names however their domains are written.
  for (const value of [
    'jö@example.com',
    'jo@bücher.de, ops@example.com',
    'Jo <jo@bücher.de>',
    'jo@bücher\u2028.de',
    // ASCII that no domain holds is not dropped or decoded on the way.
    'jo@bü\tcher.de',
    'jo@büc%41her.de',
    'jo@bü_cher.de',
    'jo@',
  ]) {
    assert.equal(refusal(value).code, 'invalid_address', value);
  }
});

test('a webhook to a private IP address is refused unless allowed', () => {
  const refused = (value: string, allowPrivate: boolean) => {
    try {
      parseNotifyTarget(value, allowPrivate);
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return err;
    }
    return undefined;
  };
  for (const host of ['127.0.0.1', '[::1]', '10.1.2.3', '2130706433', '0.0.0.0']) {
    const err = refused(`http://${host}:9/hook`, false);
    assert.equal(err?.code, 'url_not_allowed', host);
    assert.match(err?.message ?? '', /^oncomplete URL refused: address \S+ is /, host);
    assert.equal(refused(`http://${host}:9/hook`, true), undefined, host);
  }
  // Metadata addresses stay refused; names wait for their resolution,
  // at delivery.
  assert.equal(
    refused('http://169.254.169.254/latest', true)?.code,
    'url_not_allowed',
  );
  assert.equal(refused('http://localhost:9/hook', false), undefined);
});
