import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseS3Url } from './s3-location';

test('the compose URL: an endpoint implies path-style requests', () => {
  assert.deepEqual(parseS3Url('s3://catalog?endpoint=http://minio:9000'), {
    bucket: 'catalog',
    prefix: '',
    endpoint: 'http://minio:9000',
    region: undefined,
    forcePathStyle: true,
  });
});

test('AWS itself: virtual-host style, a key prefix, a region', () => {
  assert.deepEqual(parseS3Url('s3://my.bucket/catalog/prod/?region=eu-west-1'), {
    bucket: 'my.bucket',
    prefix: 'catalog/prod/',
    endpoint: undefined,
    region: 'eu-west-1',
    forcePathStyle: false,
  });
  const explicit = parseS3Url(
    's3://b12?endpoint=https://s3.example.com&forcePathStyle=false',
  );
  assert.equal(explicit.forcePathStyle, false);
});

test('bad URLs name what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['s3://Bad_Bucket', /not a valid bucket name/],
    ['s3://catalog?endpoint=minio:9000', /endpoint must be/],
    ['s3://catalog?pathStyle=1', /unknown parameter "pathStyle"/],
    ['s3://catalog?forcePathStyle=maybe', /forcePathStyle must be/],
    ['s3://key:secret@catalog', /credentials do not go in the URL/],
    ['file:///x', /expected s3:\/\//],
    ['s3://catalog?endpoint=ftp://m:9000', /endpoint must be/],
    ['s3://catalog?endpoint=http://', /endpoint must be/],
  ];
  for (const [url, message] of cases) {
    assert.throws(() => parseS3Url(url), message, url);
  }
});

test('a prefix is read as written: escapes decoded, dot and empty folders refused', () => {
  assert.equal(parseS3Url('s3://catalog/caf%C3%A9/a%20b/').prefix, 'café/a b/');
  assert.equal(parseS3Url('s3://catalog/a%2Fb').prefix, 'a/b/');
  const refused: [string, RegExp][] = [
    // URL parsing alone would resolve these to 'up/' and 'x/'.
    ['s3://catalog/%2E%2E/up', /prefix "\.\.\/up" has an empty, "\." or "\.\." folder/],
    ['s3://catalog/./x', /prefix "\.\/x"/],
    ['s3://catalog/a//b', /prefix "a\/\/b"/],
    ['s3://catalog/%ZZ', /broken %-escape/],
  ];
  for (const [url, message] of refused) {
    assert.throws(() => parseS3Url(url), message, url);
  }
});

test('forcePathStyle is a switch, spelled as other settings are', () => {
  const off = parseS3Url('s3://catalog?endpoint=http://m:9&forcePathStyle=OFF');
  assert.equal(off.forcePathStyle, false);
  assert.equal(parseS3Url('s3://catalog?forcePathStyle=On').forcePathStyle, true);
});

test('a region is checked at start, as the SDK would refuse it on each request', () => {
  assert.equal(parseS3Url('s3://catalog?region=eu-west-1').region, 'eu-west-1');
  // An empty one counts as unset, as every setting's does.
  assert.equal(parseS3Url('s3://catalog?region=').region, undefined);
  for (const region of ['eu%20west', 'eu_west_1', '-eu', 'eu.west']) {
    assert.throws(
      () => parseS3Url(`s3://catalog?region=${region}`),
      /STORAGE_URL: region ".*" is not a region name/,
      region,
    );
  }
});

test('a parameter given twice is refused rather than one of them taken', () => {
  const twice = [
    's3://catalog?endpoint=http://a:9000&endpoint=http://b:9000',
    's3://catalog?region=eu-west-1&region=us-east-1',
    's3://catalog?forcePathStyle=true&forcePathStyle=false',
  ];
  for (const url of twice) {
    assert.throws(() => parseS3Url(url), /is given more than once/, url);
  }
});

test('credentials in the endpoint are refused as in the URL itself', () => {
  assert.throws(
    () => parseS3Url('s3://catalog?endpoint=http://key:secret@minio:9000'),
    /credentials do not go in the endpoint/,
  );
});
