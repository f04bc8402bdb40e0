import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './cli-config';
import { CliUsageError } from './exit-codes';

const token = 'a-token-of-the-site';

describe('loadConfig', () => {
  it('refuses the API URL that npm start prints, naming the base URL', () => {
    // The banner's `API:` line, pasted whole (its … included).
    for (const url of [
      'http://localhost:8080/api/import/…',
      'http://localhost:8080/api/import',
      'http://localhost:8080/api/tracks/download',
    ]) {
      assert.throws(
        () => loadConfig({ url, token }, {}),
        (err: unknown) =>
          err instanceof CliUsageError &&
          err.message.includes('names an API path') &&
          err.message.endsWith('base URL instead: http://localhost:8080'),
        url,
      );
    }
  });

  it('keeps the path a proxy serves the gateway under', () => {
    assert.throws(
      () => loadConfig({ url: 'https://example.com/ingest/api/import/', token }, {}),
      /base URL instead: https:\/\/example\.com\/ingest$/,
    );
    const config = loadConfig({ url: 'https://example.com/ingest', token }, {});
    assert.equal(config.url, 'https://example.com/ingest');
  });

  it('refuses a URL with a password at once, exit 1, not as unreachable', () => {
    assert.throws(
      () => loadConfig({ url: 'http://ops:s3cret@localhost:8080', token }, {}),
      (err: unknown) =>
        err instanceof CliUsageError &&
        err.message ===
          'gateway URL holds a user name or password; the token is the only ' +
            'credential: http://ops:***@localhost:8080',
    );
  });

  it('takes a plain base URL as it is', () => {
    const config = loadConfig({}, { INGEST_URL: 'http://localhost:8080', INGEST_TOKEN: token });
    assert.deepEqual(config, { url: 'http://localhost:8080/', token });
  });
});
