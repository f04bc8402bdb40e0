/**
 * What the multipart reader's tests share: a loopback server that reads
 * each request with `readParams` and answers what it read (or the
 * refusal), and the forms they send it.
 */
import http from 'node:http';
import { after, before } from 'node:test';
import { ApiError } from '@ingest/core';
import { listenOnLoopback, type LoopbackServer } from '@ingest/testkit';
import type { BodyPace } from './body-pace';
import { readParams, type FileHandler } from './read-params';

/** What the test server reads a request with; tests set them, and clear them after. */
export const reading: {
  pace?: BodyPace;
  onFile?: FileHandler;
  /** Told when the server's request gets its first body bytes. */
  onBody?: () => void;
} = {};

let server: LoopbackServer;

/** The test server's address, once the file's `before` has run. */
export const serverUrl = () => server.url;

/** Starts the test server before the file's tests, and closes it after. */
export function serveReadParams(): void {
  before(async () => {
    // Answers the meta and values it read, or the refusal's body.
    server = await listenOnLoopback(
      http.createServer((req, res) => {
        const { pace, onFile, onBody } = reading;
        readParams(req, { maxBodyBytes: 1 << 16, pace, onFile }).then(
          (params) =>
            res.end(
              JSON.stringify({ meta: params.meta, values: Object.fromEntries(params.values) }),
            ),
          (err: unknown) => {
            const known = err instanceof ApiError;
            res.statusCode = known ? err.status : 500;
            res.end(JSON.stringify(known ? err.toBody() : { error: String(err) }));
          },
        );
        if (onBody) req.once('data', onBody);
      }),
    );
  });
  after(() => server?.close());
}

export const BOUNDARY = 'read-multipart-test';

/** One part: its name, value (bytes as sent) and extra header lines. */
export type Part = [name: string, value: string | Buffer, ...headers: string[]];

export function partBytes([name, value, ...headers]: Part): Buffer {
  const head =
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n` +
    headers.map((line) => `${line}\r\n`).join('') +
    '\r\n';
  return Buffer.concat([Buffer.from(head), Buffer.from(value), Buffer.from('\r\n')]);
}

export async function postForm(...parts: Part[]) {
  return postBody(Buffer.concat([...parts.map(partBytes), Buffer.from(`--${BOUNDARY}--\r\n`)]));
}

export async function postBody(
  body: Buffer,
  type = `multipart/form-data; boundary=${BOUNDARY}`,
) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** A part: the rest of its boundary line, its header lines, its value. */
export type LinePart = [line: string, head: string, value: string];

/** A form (sent as latin1) of `parts` under `boundary`. */
export function formUnder(boundary: string, ...parts: LinePart[]): Buffer {
  const text = parts.map(
    ([line, head, value]) => `--${boundary}${line}${head}\r\n\r\n${value}\r\n`,
  );
  return Buffer.from(`${text.join('')}--${boundary}--\r\n`, 'latin1');
}

/** A form whose parts give their own header lines, `name` or not. */
export function formWithHeads(...parts: Array<[head: string, value: string]>): Buffer {
  return formUnder(BOUNDARY, ...parts.map(([head, value]): LinePart => ['\r\n', head, value]));
}

export const latin1 = (text: string) => Buffer.from(text, 'latin1');
