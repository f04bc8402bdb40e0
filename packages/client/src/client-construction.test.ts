import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IngestClient } from './index';

describe('new IngestClient', () => {
  it('refuses a base URL that is not an http(s) URL at once', () => {
    for (const url of ['127.0.0.1:8080', 'gateway', 'ftp://127.0.0.1/']) {
      assert.throws(() => new IngestClient({ url, token: 't' }), {
        name: 'TypeError',
        message: new RegExp(`IngestClient: url .*${url.replace(/[.]/g, '\\.')}`),
      });
    }
    assert.doesNotThrow(() => new IngestClient({ url: 'http://127.0.0.1:8080', token: 't' }));
  });
});
