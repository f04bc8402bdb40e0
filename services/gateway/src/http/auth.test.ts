import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { ApiError } from '@ingest/core';
import type { StateStore } from '@ingest/state';
import { authenticate, tokenOf } from './auth';
import { addJson, addPair, emptyParams } from './params';

function call(authorization?: string, token?: string) {
  const req = { headers: { authorization } } as IncomingMessage;
  const params = emptyParams();
  if (token !== undefined) addPair(params, 'token', token);
  return () => tokenOf(req, params);
}

test('the token comes from the parameter or the Bearer header', () => {
  assert.equal(call('Bearer abc')(), 'abc');
  assert.equal(call(undefined, 'abc')(), 'abc');
  assert.equal(call('Bearer abc', 'abc')(), 'abc', 'the same one twice');
  assert.equal(call('Basic eDp5', 'abc')(), 'abc', 'not a Bearer header');
  assert.equal(call()(), undefined);
});

test('two different tokens are refused as clashing parameters', () => {
  assert.throws(
    call('Bearer abc', 'xyz'),
    (err: unknown) =>
      err instanceof ApiError &&
      err.status === 400 &&
      err.code === 'invalid_parameter' &&
      /different tokens/.test(err.message) &&
      JSON.stringify(err.details) ===
        JSON.stringify({ parameters: ['token', 'Authorization'] }),
  );
});

test('a token sent as a list or an object is refused as malformed', () => {
  const req = { headers: {} } as IncomingMessage;
  const sent = [
    (p: ReturnType<typeof emptyParams>) => addJson(p, { token: ['abc'] }),
    (p: ReturnType<typeof emptyParams>) => addJson(p, { token: { a: 'abc' } }),
    (p: ReturnType<typeof emptyParams>) => addPair(p, 'token[]', 'abc'),
    (p: ReturnType<typeof emptyParams>) => addPair(p, 'token[a]', 'abc'),
  ];
  for (const send of sent) {
    const params = emptyParams();
    send(params);
    assert.throws(
      () => tokenOf(req, params),
      (err: unknown) =>
        err instanceof ApiError &&
        err.status === 400 &&
        err.message === 'token must be text' &&
        JSON.stringify(err.details) === JSON.stringify({ parameters: ['token'] }),
    );
  }
});

test('two Authorization headers that differ are refused', () => {
  // As Node reads them: `headers` keeps the first one only.
  const sent = (...values: string[]) =>
    ({
      headers: { authorization: values[0] },
      headersDistinct: { authorization: values },
    }) as unknown as IncomingMessage;
  assert.throws(
    () => tokenOf(sent('Bearer abc', 'Bearer xyz'), emptyParams()),
    (err: unknown) =>
      err instanceof ApiError &&
      err.status === 400 &&
      err.code === 'invalid_parameter' &&
      JSON.stringify(err.details) ===
        JSON.stringify({ parameters: ['Authorization'] }),
  );
  assert.equal(tokenOf(sent('Bearer abc', 'Bearer abc'), emptyParams()), 'abc');
});

test('an Authorization header without Bearer is told the form it needs', async () => {
  // No token was found, so the store is never asked.
  const store = {} as StateStore;
  const refusal = (authorization?: string) => {
    const req = { headers: { authorization } } as IncomingMessage;
    return authenticate(store, req, emptyParams()).then(
      () => assert.fail('authenticated'),
      (err: unknown) => {
        assert.ok(err instanceof ApiError && err.code === 'unauthorized');
        return err.message;
      },
    );
  };
  for (const header of ['s3cret-token-value', 'Token s3cret-token-value', 'Bearer']) {
    const message = await refusal(header);
    assert.match(message, /not of the form "Bearer <token>"/, header);
    assert.doesNotMatch(message, /s3cret/, 'the header is not echoed');
  }
  assert.match(await refusal(), /^token is required \(token parameter or/);
});
