import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listenRefusal, StartRefusal } from './start-refusal';

const place = { host: 'ingest-gw', port: 8080, portSetting: 'PORT' };

/** A listen error as Node gives it: only its code matters here. */
function failed(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}`), { code });
}

test('a listen error an operator can fix is a refusal that says how', () => {
  const told: Record<string, RegExp> = {
    EADDRINUSE: /another process holds the port; .* set PORT to a free port$/,
    EADDRNOTAVAIL: /no interface of this machine has that address; set HOST/,
    ENOTFOUND: /no address is known for that name; set HOST/,
    EACCES: /needs privileges this process lacks; set PORT to 1024 or above$/,
  };
  for (const [code, message] of Object.entries(told)) {
    const err = failed(code);
    const refusal = listenRefusal(err, place);

    assert.ok(refusal instanceof StartRefusal, code);
    assert.match(refusal.message, /^cannot listen on ingest-gw:8080: /);
    assert.match(refusal.message, message);
    assert.equal(refusal.cause, err);
  }
});

test('any other listen error comes back as it was', () => {
  const err = failed('EMFILE');
  assert.equal(listenRefusal(err, place), err);
  assert.equal(listenRefusal(undefined, place), undefined);
});
