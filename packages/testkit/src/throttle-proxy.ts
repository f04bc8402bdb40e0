import http from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import {
  forwardRequest,
  listenOnLoopback,
  type LoopbackServer,
} from './loopback-http';

export interface ThrottleProxyOptions {
  /** Requests whose path starts with this are slowed, both ways. */
  pathPrefix: string;
  /** Bytes per second each way, for each slowed request. */
  bytesPerSecond: number;
}

export interface ThrottleProxy extends LoopbackServer {
  /** How many requests came in so far whose path starts with `prefix`. */
  requestsTo(prefix: string): number;
  /** How many of those the proxy has read to the end of their body. */
  wholeBodiesTo(prefix: string): number;
}

/**
 * A loopback reverse proxy in front of `target` that passes the bodies
 * of some requests and their answers at a set pace: a long transfer
 * without a large file, for tests that interrupt one midway.
 */
export async function throttleProxy(
  target: string,
  options: ThrottleProxyOptions,
): Promise<ThrottleProxy> {
  const upstream = new URL(target);
  const paths: string[] = [];
  const whole: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '/');
    req.on('end', () => whole.push(req.url ?? '/'));
    const slow = (req.url ?? '/').startsWith(options.pathPrefix);
    const pace = () =>
      slow ? new Pace(options.bytesPerSecond) : new Transform({ transform: pass });
    const forward = forwardRequest(upstream, req, res, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(pace()).pipe(res);
    });
    // A client that hangs up midway: the gateway sees the same.
    req.on('close', () => {
      if (!req.complete) forward.destroy();
    });
    res.on('close', () => forward.destroy());
    req.pipe(pace()).pipe(forward);
  });
  return {
    ...(await listenOnLoopback(server)),
    requestsTo: (prefix) => paths.filter((p) => p.startsWith(prefix)).length,
    wholeBodiesTo: (prefix) => whole.filter((p) => p.startsWith(prefix)).length,
  };
}

function pass(chunk: Buffer, _: BufferEncoding, done: TransformCallback) {
  done(null, chunk);
}

/** Lets bytes through in slices, a tenth of a second's worth at a time. */
class Pace extends Transform {
  private readonly slice: number;

  constructor(bytesPerSecond: number) {
    super();
    this.slice = Math.max(1, Math.floor(bytesPerSecond / 10));
  }

  override _transform(
    chunk: Buffer,
    _: BufferEncoding,
    done: TransformCallback,
  ): void {
    let offset = 0;
    const next = () => {
      if (this.destroyed) return;
      if (offset >= chunk.length) {
        done();
        return;
      }
      this.push(chunk.subarray(offset, offset + this.slice));
      offset += this.slice;
      setTimeout(next, 100);
    };
    next();
  }
}
