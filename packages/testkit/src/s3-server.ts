import { mkdtemp, rename, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { freePort } from './free-port';

/** The one key pair the S3 test server accepts (s3rver's built-in). */
const KEY = 'S3RVER';

export interface S3TestServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** `STORAGE_URL` for the services. */
  storageUrl: string;
  /** STORAGE_URL plus the AWS variables the SDK reads. */
  env: Record<string, string>;
  /** Stops serving, as a store down would; its objects are kept. */
  stop(): Promise<void>;
  /** Serves again on the same port, with the objects it had. */
  start(): Promise<void>;
  /**
   * The bucket is gone while the server still answers, as one deleted
   * by mistake; its objects are kept aside for `restoreBucket`.
   */
  removeBucket(): Promise<void>;
  /** Brings the removed bucket back with the objects it had. */
  restoreBucket(): Promise<void>;
  /** Dates an object's last write at `when` (what listings answer). */
  backdate(key: string, when: Date): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real S3-compatible server (s3rver) on loopback, storing objects in a
 * temp folder, with one bucket. It refuses unknown access keys and
 * expired presigned URLs, but does not verify SigV4 signatures.
 */
export async function s3TestServer(bucket = 'catalog'): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'ingest-s3-'));
  const serve = (port: number) =>
    new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket, configs: [] }],
    });
  // A port from freePort, not 0: `start` binds it again after `stop`, and
  // one of the kernel's own (ephemeral) ports may be taken meanwhile as
  // the local end of any outgoing connection on the machine.
  let server: S3rver | undefined = serve(await freePort());
  let address;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const stop = async () => {
    const running = server;
    server = undefined;
    await running?.close();
  };

  // s3rver keeps a bucket as a folder it reads at each request.
  const bucketDir = path.join(directory, bucket);
  const asideDir = `${directory}-aside`;

  const endpoint = `http://127.0.0.1:${address.port}`;
  const storageUrl =
    `s3://${bucket}?endpoint=${endpoint}&region=us-east-1` +
    '&forcePathStyle=true';
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    credentials: { accessKeyId: KEY, secretAccessKey: KEY },
    storageUrl,
    env: {
      STORAGE_URL: storageUrl,
      AWS_ACCESS_KEY_ID: KEY,
      AWS_SECRET_ACCESS_KEY: KEY,
      AWS_REGION: 'us-east-1',
    },
    stop,
    start: async () => {
      if (server) return;
      server = serve(address.port);
      await server.run();
    },
    removeBucket: () => rename(bucketDir, asideDir),
    restoreBucket: () => rename(asideDir, bucketDir),
    // s3rver dates an object by the mtime of the file of its bytes.
    backdate: (key, when) =>
      utimes(path.join(bucketDir, `${key}._S3rver_object`), when, when),
    close: () =>
      (closed ??= (async () => {
        await stop();
        await rm(directory, { recursive: true, force: true });
        await rm(asideDir, { recursive: true, force: true });
      })()),
  };
}
