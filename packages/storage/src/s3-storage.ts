import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ByteMeter } from './byte-meter';
import type { S3Location } from './s3-location';
import {
  isGone,
  isNotFound,
  regionProblem,
  s3Failure,
  s3Outage,
  s3Status,
} from './s3-errors';
import { listObjects } from './s3-listing';
import { s3Readiness } from './s3-readiness';
import { checkKey } from './storage-key';
import { sweepStale } from './stale-temp';
import { ObjectGoneError, StorageUnavailableError } from './storage-errors';
import {
  ObjectTooLargeError,
  type ByteRange,
  type DownloadHeaders,
  type LocalCopy,
  type OpenObject,
  type PutResult,
  type Readiness,
  type Storage,
  type StoredObject,
} from './storage';

export interface S3StorageOptions {
  location: S3Location;
  /** Folder for local copies (ffmpeg reads files). Default: the OS temp. */
  workDir?: string;
  /**
   * Default: the SDK's own chain, which reads `AWS_ACCESS_KEY_ID`,
   * `AWS_SECRET_ACCESS_KEY`, profiles and instance roles by itself.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Bytes of one multipart part; default 8 MiB (S3's least is 5 MiB). */
  partSize?: number;
  /** Parts sent at once by one upload; default 2. */
  queueSize?: number;
  /** Time (ms) to open a connection to the store; default 5 s. */
  connectTimeoutMs?: number;
  /**
   * Time (ms) a request may wait with no byte sent or received (a hung
   * store) before it fails; default 30 s. Not a limit on a whole
   * transfer: a large object streaming steadily is never cut.
   */
  idleTimeoutMs?: number;
}

const MiB = 1024 * 1024;
const COPY_PREFIX = 's3-copy-';

export const S3_CONNECT_TIMEOUT_MS = 5_000;
export const S3_IDLE_TIMEOUT_MS = 30_000;

/**
 * Objects in an S3 bucket (AWS or any S3-compatible server). Writes
 * stream through multipart uploads, so memory per write is about
 * `partSize × (queueSize + 1)` whatever the object's size; an object
 * appears only when its upload completes. A store that cannot be
 * reached, or does not answer, fails the call with a
 * StorageUnavailableError rather than holding it.
 */
export class S3Storage implements Storage {
  private readonly client: S3Client;
  private readonly location: S3Location;
  private readonly workDir: string;
  private region: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: S3StorageOptions) {
    this.location = options.location;
    this.workDir = options.workDir ?? os.tmpdir();
    if (!this.location.region) blankRegionUnset();
    this.client = new S3Client({
      endpoint: this.location.endpoint,
      region: this.location.region,
      forcePathStyle: this.location.forcePathStyle,
      // The store is where STORAGE_URL says: without this, a stray
      // AWS_ENDPOINT_URL(_S3) or a profile's endpoint_url would silently
      // send a URL without endpoint= to another server.
      ignoreConfiguredEndpointUrls: true,
      credentials: options.credentials,
      // Checksum trailers (the SDK's newer default) are not understood by
      // every S3-compatible server; we hash every object ourselves.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The SDK's default waits forever for a store that accepted the
      // connection and never answers.
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? S3_CONNECT_TIMEOUT_MS,
        socketTimeout: options.idleTimeoutMs ?? S3_IDLE_TIMEOUT_MS,
      },
    });
  }

  private target(key: string) {
    return {
      Bucket: this.location.bucket,
      Key: this.location.prefix + checkKey(key),
    };
  }

  /**
   * Settles once the signing region is known (from the URL or the SDK's
   * chain); without one every request fails with a bare "Region is
   * missing" (or "Region not accepted" for one the SDK refuses), so this
   * says what to set instead. Asked again after a
   * failure, as a profile or instance metadata may answer later.
   */
  private regionKnown(): Promise<void> {
    this.region ??= this.client.config.region().then(
      () => undefined,
      (err: unknown) => {
        this.region = undefined;
        throw new StorageUnavailableError(regionProblem(err), { cause: err });
      },
    );
    return this.region;
  }

  /** The answer of a command; an outage is a StorageUnavailableError. */
  private async answer<T>(send: () => Promise<T>): Promise<T> {
    await this.regionKnown();
    try {
      return await send();
    } catch (err) {
      throw s3Failure(err);
    }
  }

  private upload(key: string, body: Readable, length?: number): Upload {
    return new Upload({
      client: this.client,
      params: { ...this.target(key), Body: body, ContentLength: length },
      partSize: this.options.partSize ?? 8 * MiB,
      queueSize: this.options.queueSize ?? 2,
    });
  }

  async put(
    key: string,
    body: Readable,
    maxBytes = Infinity,
    signal?: AbortSignal,
  ): Promise<PutResult> {
    try {
      await this.regionKnown();
    } catch (err) {
      body.destroy();
      throw err;
    }
    const meter = new ByteMeter(maxBytes);
    const upload = this.upload(key, meter);
    // A sender gone, or a body over the cap, stops the upload at once,
    // even when the store holds a part without answering.
    const stop = () => void upload.abort();
    // An upload that fails stops reading, which ends the feeding side
    // with an AbortError. Its own error says why; aborting it then would
    // put "Upload aborted" in that error's place.
    const readerQuit = (err: unknown) =>
      (err as Error | undefined)?.name === 'AbortError' && !signal?.aborted;
    signal?.addEventListener('abort', stop, { once: true });
    try {
      const [fed, sent] = await Promise.allSettled([
        pipeline(body, meter, { signal }).catch((err) => {
          if (!readerQuit(err)) stop();
          throw err;
        }),
        upload.done().catch((err) => {
          // Nobody reads the meter any more: unblock the feeding side.
          meter.destroy(err);
          throw err;
        }),
      ]);
      // Both settled: an upload that failed has aborted its parts.
      if (meter.exceeded) throw new ObjectTooLargeError(maxBytes);
      if (fed.status === 'rejected' && !readerQuit(fed.reason)) {
        throw fed.reason;
      }
      if (sent.status === 'rejected') throw s3Failure(sent.reason);
      if (fed.status === 'rejected') throw fed.reason;
      return meter.result();
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  async putFile(key: string, localPath: string): Promise<void> {
    await this.regionKnown();
    const { size } = await stat(localPath);
    const upload = this.upload(key, createReadStream(localPath), size);
    await upload.done().catch((err) => {
      throw s3Failure(err);
    });
    await rm(localPath, { force: true });
  }

  async create(key: string, text: string): Promise<boolean> {
    await this.regionKnown();
    const put = (condition: { IfNoneMatch?: string }) =>
      this.client.send(
        new PutObjectCommand({ ...this.target(key), Body: text, ...condition }),
      );
    try {
      await put({ IfNoneMatch: '*' });
      return true;
    } catch (err) {
      const status = s3Status(err);
      // 412: an object is there; 409: another conditional write of it runs.
      if (status === 412 || status === 409) return false;
      // Not the condition refused (501, or a 400 of its own): a failure.
      const refusedCondition = status === 501 || (status === 400 && !s3Outage(err));
      if (!refusedCondition) throw s3Failure(err);
    }
    // A server that refuses the condition itself (501, or a 400 of its
    // own): a plain write, which the caller reads back.
    await put({}).catch((err: unknown) => {
      throw s3Failure(err);
    });
    return true;
  }

  async localCopy(key: string): Promise<LocalCopy> {
    await mkdir(this.workDir, { recursive: true });
    const dir = await mkdtemp(path.join(this.workDir, COPY_PREFIX));
    const release = () => rm(dir, { recursive: true, force: true });
    try {
      const file = path.join(dir, path.basename(key));
      await pipeline(await this.read(key), createWriteStream(file));
      return { path: file, release };
    } catch (err) {
      await release();
      // A body cut mid-way by the store is an outage too.
      throw s3Failure(err);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    return this.get(key, range);
  }

  list(prefix: string): AsyncIterable<StoredObject> {
    const { client, location } = this;
    return listObjects(client, location, prefix, (send) => this.answer(send));
  }

  /** Local copies left by a process that died before releasing them. */
  async sweepTemp(olderThanMs: number): Promise<number> {
    const swept = await sweepStale(this.workDir, olderThanMs, (name) =>
      name.startsWith(COPY_PREFIX),
    );
    return swept.length;
  }

  private async get(
    key: string,
    range?: ByteRange,
    etag?: string,
  ): Promise<Readable> {
    const answer = await this.answer(() =>
      this.client.send(
        new GetObjectCommand({
          ...this.target(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
          IfMatch: etag,
        }),
      ),
    );
    const body = answer.Body as Readable;
    // Not every S3-compatible server honours If-Match: the answer's own
    // ETag tells as well whether these are the bytes asked for.
    if (etag && answer.ETag && answer.ETag !== etag) {
      body.destroy();
      throw new ObjectGoneError(key);
    }
    return body;
  }

  async open(key: string): Promise<OpenObject | undefined> {
    const head = await this.head(key);
    if (!head) return undefined;

    let out: PassThrough | undefined;
    return {
      size: head.size,
      stream: (range) => {
        const stream = new PassThrough();
        out = stream;
        // If-Match: a replaced object fails the read instead of mixing
        // the old size with new bytes; one deleted since the HEAD is
        // gone likewise, and the caller may open what the key is now.
        this.get(key, range, head.etag)
          .then(
            (body) => pipeline(body, stream),
            (err) => {
              if (err instanceof ObjectGoneError || !isGone(err)) throw err;
              throw new ObjectGoneError(key, { cause: err });
            },
          )
          .catch((err) => stream.destroy(err));
        return stream;
      },
      close: async () => {
        if (out && !out.readableEnded) out.destroy();
      },
    };
  }

  private async head(key: string) {
    try {
      const answer = await this.answer(() =>
        this.client.send(new HeadObjectCommand(this.target(key))),
      );
      return { size: answer.ContentLength ?? 0, etag: answer.ETag };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // A HEAD answer has no body, so a missing bucket is a bare 404 as
    // well; a GET of the same key names which of the two is missing.
    const store = await s3Readiness(this.client, this.target(key));
    if (!store.ready) {
      throw new StorageUnavailableError(store.reason ?? 'storage not ready');
    }
    return undefined;
  }

  async size(key: string): Promise<number | undefined> {
    return (await this.head(key))?.size;
  }

  async delete(key: string): Promise<void> {
    await this.answer(() =>
      this.client.send(new DeleteObjectCommand(this.target(key))),
    );
  }

  async presignedUrl(
    key: string,
    ttlSeconds: number,
    download: DownloadHeaders = {},
  ): Promise<string> {
    await this.regionKnown();
    const command = new GetObjectCommand({
      ...this.target(key),
      ResponseContentType: download.contentType,
      ResponseContentDisposition: download.contentDisposition,
    });
    return getSignedUrl(this.client, command, { expiresIn: ttlSeconds });
  }

  /** See s3Readiness: a missing probe object is ready, a missing bucket not. */
  async ready(): Promise<Readiness> {
    try {
      await this.regionKnown();
    } catch (err) {
      return { ready: false, reason: (err as Error).message };
    }
    return s3Readiness(this.client, this.target('readyz/probe'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
  }
}

/**
 * The SDK reads `AWS_REGION` itself and takes a set but empty one as the
 * region "", which it then refuses on every request, even where a
 * profile names the region. Every setting counts an empty variable as
 * unset; so does this, for the chain to go on to the profile.
 */
function blankRegionUnset(): void {
  if (process.env.AWS_REGION === '') delete process.env.AWS_REGION;
}
