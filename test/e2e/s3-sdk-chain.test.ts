import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, test } from 'node:test';
import { S3Storage, StorageUnavailableError, parseS3Url } from '@ingest/storage';
import { s3TestServer, type S3TestServer } from '@ingest/testkit';

// What the AWS SDK's own chain finds when STORAGE_URL names no region
// and the storage is given no credentials: the region (AWS_REGION, then
// the profile) and the credentials (the variables, a profile...), as
// docs/operations.md ("Object storage (S3)") says. Against a real
// S3-compatible server (s3rver) on loopback.

let server: S3TestServer;
let dir: string;

before(async () => {
  server = await s3TestServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-s3-region-'));
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The test server's STORAGE_URL without its `region=`. */
function openWithoutRegion(): S3Storage {
  const url = server.storageUrl.replace('&region=us-east-1', '');
  assert.doesNotMatch(url, /region=/);
  return new S3Storage({
    location: parseS3Url(url),
    credentials: server.credentials,
    workDir: dir,
  });
}

/** Credentials left to the SDK's chain, as the services leave them. */
function openWithChainCredentials(): S3Storage {
  return new S3Storage({ location: parseS3Url(server.storageUrl), workDir: dir });
}

/**
 * Runs `fn` with only `vars` of the SDK's region sources set, a config
 * file of ours, and no instance metadata (the SDK would otherwise ask
 * 169.254.169.254, which no test may reach).
 */
async function withAwsEnv<T>(
  vars: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const names = [
    'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_CONFIG_FILE',
    'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED',
    'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
    'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3',
    'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  ];
  const saved = new Map(names.map((name) => [name, process.env[name]]));
  for (const name of names) delete process.env[name];
  Object.assign(process.env, {
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...vars,
  });
  try {
    return await fn();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

test('an empty AWS_REGION counts as unset: the profile names the region', async () => {
  const config = path.join(dir, 'config');
  await writeFile(config, '[profile label]\nregion = eu-central-1\n');
  // As a Compose `AWS_REGION: ${AWS_REGION:-}` or a blank ConfigMap value
  // gives it: the SDK alone took it as the region "" and refused it.
  await withAwsEnv(
    { AWS_REGION: '', AWS_PROFILE: 'label', AWS_CONFIG_FILE: config },
    async () => {
      const storage = openWithoutRegion();
      try {
        assert.deepEqual(await storage.ready(), { ready: true });
        await storage.put('region/one.txt', Readable.from(['one']));
        assert.equal(await text(await storage.read('region/one.txt')), 'one');
      } finally {
        await storage.close();
      }
    },
  );
});

test('a region the SDK refuses is named as such, not as "no region"', async () => {
  await withAwsEnv(
    { AWS_REGION: 'eu west 1', AWS_CONFIG_FILE: path.join(dir, 'no-config') },
    async () => {
      const storage = openWithoutRegion();
      try {
        const readiness = await storage.ready();
        assert.equal(readiness.ready, false);
        assert.match(readiness.reason ?? '', /^storage: Region not accepted/);
        assert.match(readiness.reason ?? '', /eu west 1.*AWS_REGION/);
        assert.doesNotMatch(readiness.reason ?? '', /no region/);
        await assert.rejects(storage.size('region/one.txt'), (err: Error) => {
          assert.ok(err instanceof StorageUnavailableError, String(err));
          assert.match(err.message, /Region not accepted/);
          return true;
        });
      } finally {
        await storage.close();
      }
    },
  );
});

test('the access key variables count unless AWS_PROFILE is set, which wins', async () => {
  const { accessKeyId, secretAccessKey } = server.credentials;
  const keys = { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey };
  const config = path.join(dir, 'no-config');
  await withAwsEnv({ ...keys, AWS_CONFIG_FILE: config }, async () => {
    const storage = openWithChainCredentials();
    assert.deepEqual(await storage.ready(), { ready: true });
    await storage.close();
  });
  // A profile named beside the keys is what the SDK uses; one that has
  // no credentials leaves the keys unread, and the reason says so.
  await withAwsEnv({ ...keys, AWS_CONFIG_FILE: config, AWS_PROFILE: 'none' }, async () => {
    const storage = openWithChainCredentials();
    const readiness = await storage.ready();
    assert.equal(readiness.ready, false);
    assert.match(readiness.reason ?? '', /^storage: no credentials found/);
    assert.match(readiness.reason ?? '', /skips while AWS_PROFILE is set/);
    await storage.close();
  });
});

test('the endpoint is STORAGE_URL\'s alone: AWS_ENDPOINT_URL(_S3) is not followed', async () => {
  // A presigned URL shows where requests would go without sending one:
  // a URL without endpoint= means AWS itself, which no test may reach.
  const vars = {
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_ENDPOINT_URL_S3: server.endpoint,
    AWS_CONFIG_FILE: path.join(dir, 'no-config'),
  };
  await withAwsEnv(vars, async () => {
    const aws = new S3Storage({
      location: parseS3Url('s3://catalog?region=us-east-1'),
      credentials: server.credentials,
      workDir: dir,
    });
    const url = new URL(await aws.presignedUrl('region/one.txt', 60));
    assert.match(url.host, /amazonaws\.com$/, url.href);
    await aws.close();
    // Given in STORAGE_URL, the endpoint is used as before.
    const own = openWithoutRegion();
    process.env.AWS_REGION = 'us-east-1';
    const ownUrl = await own.presignedUrl('region/one.txt', 60);
    assert.ok(ownUrl.startsWith(`${server.endpoint}/`), ownUrl);
    await own.close();
  });
});
