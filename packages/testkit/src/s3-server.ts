import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rename, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildStartError } from './child-start-error';
import { freePort } from './free-port';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Where `--import tsx` is found. */
const ROOT = path.resolve(HERE, '../../..');
const CHILD = path.join(HERE, 's3-server-child.ts');

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
 * expired presigned URLs, but does not verify SigV4 signatures. It runs
 * in a process of its own (s3-server-child.ts), where listings past one
 * page (1000 keys) work.
 */
export async function s3TestServer(bucket = 'catalog'): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'ingest-s3-'));
  // A port from freePort, not 0: `start` binds it again after `stop`, and
  // one of the kernel's own (ephemeral) ports may be taken meanwhile as
  // the local end of any outgoing connection on the machine.
  const port = await freePort();
  let server: ChildProcess | undefined;
  try {
    server = await serve(directory, bucket, port);
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  // A second stop (close after stop) waits for the process of the first.
  let stopping = Promise.resolve();
  const stop = () => {
    const running = server;
    server = undefined;
    if (running) stopping = stopped(running);
    return stopping;
  };

  // s3rver keeps a bucket as a folder it reads at each request.
  const bucketDir = path.join(directory, bucket);
  const asideDir = `${directory}-aside`;

  const endpoint = `http://127.0.0.1:${port}`;
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
      server = await serve(directory, bucket, port);
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

/** Starts the server's process; settles once it listens on `port`. */
async function serve(directory: string, bucket: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--import', 'tsx', CHILD, directory, bucket, String(port)],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(
        new ChildStartError(
          `the S3 test server (port ${port}) exited with ${code ?? signal} ` +
            'before it listened',
          output,
        ),
      ),
    );
  });
  return child;
}

/** Asks the server's process to stop serving; settles once it exited. */
async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise((resolve) => child.once('exit', resolve));
  // A process gone meanwhile cannot be told: it stops all the same.
  child.send('stop', (err) => err && child.kill('SIGKILL'));
  await exit;
}
