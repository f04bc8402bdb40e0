import assert from 'node:assert/strict';
import { test } from 'node:test';
import { s3Failure, s3Outage } from './s3-errors';
import { StorageUnavailableError } from './storage-errors';

// The classifier of the store's answers. AWS's own region answers cannot
// come from the loopback S3 server (s3rver does not check regions), so
// they are made here in the shape the SDK gives them: an Error named by
// the S3 error code, with the HTTP status in `$metadata`.

function answered(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from S3`), {
    name,
    $metadata: { httpStatusCode: status },
  });
}

test('a request signed for or sent to another region is a setting to fix', () => {
  for (const [name, status] of [
    ['AuthorizationHeaderMalformed', 400],
    ['PermanentRedirect', 301],
  ] as const) {
    const why = s3Outage(answered(name, status));
    assert.match(why ?? '', new RegExp(`refused the request \\(${name}\\)`));
    assert.match(why ?? '', /check the region.*AWS_REGION/);
    // So uploads answer 503 and transcodes wait, as for refused keys.
    assert.ok(s3Failure(answered(name, status)) instanceof StorageUnavailableError);
  }
});

test('answers about one request or object stay what they are', () => {
  for (const [name, status] of [
    ['NoSuchKey', 404],
    ['PreconditionFailed', 412],
    ['InvalidRange', 416],
    ['InvalidArgument', 400],
  ] as const) {
    assert.equal(s3Outage(answered(name, status)), undefined, name);
  }
});
