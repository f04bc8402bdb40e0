import type { Readable } from 'node:stream';

/** What a stored object's writer learns while streaming it. */
export interface PutResult {
  bytes: number;
  sha256: string;
}

/** A local path to read an object from, released when done. */
export interface LocalCopy {
  path: string;
  release(): Promise<void>;
}

/** One stored object as a listing finds it. */
export interface StoredObject {
  key: string;
  bytes: number;
  /** When the object was last written. */
  modifiedAt: Date;
}

export interface ByteRange {
  start: number;
  /** Inclusive, as in HTTP ranges. */
  end: number;
}

/**
 * One object opened for reading: its size and its bytes come from the
 * same version, even if the key is replaced meanwhile.
 */
export interface OpenObject {
  size: number;
  /** The bytes, or one range of them; call at most once. */
  stream(range?: ByteRange): Readable;
  /** Idempotent; call when done, whether or not it was streamed. */
  close(): Promise<void>;
}

/**
 * Where sources and renditions live. Keys are relative, `/`-separated
 * and made by the service, never from client text.
 */
export interface Storage {
  /**
   * Streams `body` into `key`; the object appears only once complete.
   * Stops with an error past `maxBytes`, or when `signal` aborts (the
   * sender hung up), leaving nothing behind.
   */
  put(
    key: string,
    body: Readable,
    maxBytes?: number,
    signal?: AbortSignal,
  ): Promise<PutResult>;
  /**
   * Writes a small object only where `key` has none: false, writing
   * nothing, when one is there. A store that cannot make a write
   * conditional (an S3-compatible server that ignores If-None-Match)
   * writes it anyway and answers true: read it back to be sure.
   */
  create(key: string, text: string): Promise<boolean>;
  /** Moves a finished local file into `key` (it is consumed). */
  putFile(key: string, localPath: string): Promise<void>;
  /** A local file with the object's bytes (the object itself if local). */
  localCopy(key: string): Promise<LocalCopy>;
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Opens the object as it is now; undefined when there is none. */
  open(key: string): Promise<OpenObject | undefined>;
  size(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  /**
   * Every object whose key starts with `prefix` (a folder of keys:
   * ending in `/`), in no set order. An object being written is not
   * listed until it is complete; a name no key could have (written
   * into the store by hand) is left out.
   */
  list(prefix: string): AsyncIterable<StoredObject>;
  /**
   * Removes temp files of writers that died before cleaning up, once
   * nothing has touched them for `olderThanMs`. Returns how many went.
   */
  sweepTemp(olderThanMs: number): Promise<number>;
  /**
   * Whether the store answers and serves us, for `/readyz`; not ready
   * (never a throw) with the reason when it does not.
   */
  ready(): Promise<Readiness>;
  close(): Promise<void>;
  /**
   * A URL that serves the object's bytes to anyone holding it, for
   * `ttlSeconds`; only stores that can sign one (S3) have it.
   */
  presignedUrl?(
    key: string,
    ttlSeconds: number,
    download?: DownloadHeaders,
  ): Promise<string>;
}

/** What a readiness check found; `reason` says why it is not ready. */
export interface Readiness {
  ready: boolean;
  reason?: string;
}

/** Headers the store should answer a presigned download with. */
export interface DownloadHeaders {
  contentType?: string;
  /** The whole `Content-Disposition` value. */
  contentDisposition?: string;
}

export class ObjectTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`object exceeds ${limit} bytes`);
    this.name = 'ObjectTooLargeError';
  }
}
