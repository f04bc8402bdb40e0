import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import {
  jsonAnswer,
  makeDistinctTones,
  startFixtureStack,
  waitUntil,
  type FixtureStack,
} from '@ingest/testkit';

export const BOUNDARY = 'file-first-upload-boundary';

/** A multipart field of the form, as written before the file part. */
export function formField(name: string, value: string): string {
  return `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
}

export interface Answer {
  status: number;
  body: any;
}

/**
 * A stack with no transcoder and one tone to upload, whose gateway holds
 * a file-first upload longer than a test runs; `env` adds to its own.
 */
export function spoolFixture(env: Record<string, string> = {}): Promise<FixtureStack> {
  return startFixtureStack({
    fixtures: (dir) => makeDistinctTones(dir, 1),
    transcoders: 0,
    env: { INGEST_FETCH_TIMEOUT: '2m', ...env },
  });
}

/** Spool files the gateway of a stack holds now. */
export async function spooled(dataDir: string): Promise<number> {
  const dir = path.join(dataDir, 'tmp', 'multipart-spool');
  return (await readdir(dir).catch(() => [])).length;
}

/**
 * A multipart upload to `gatewayUrl` with the file part before the
 * token, sent from `localAddress` (loopback has a whole /8), with
 * `headers` added; `start` is what is sent first (a file part's head).
 */
export function openUpload(
  gatewayUrl: string,
  localAddress: string,
  headers: Record<string, string> = {},
  start =
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ` +
    'filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n',
) {
  const req = http.request(`${gatewayUrl}/api/import/upload`, {
    method: 'POST',
    localAddress,
    headers: {
      ...headers,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    },
  });
  const answer: Promise<Answer> = jsonAnswer(req);
  req.write(start);
  return {
    answer,
    send: (bytes: Buffer | string) => req.write(bytes),
    finish(token: string) {
      req.end(
        `\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; ` +
          `name="token"\r\n\r\n${token}\r\n--${BOUNDARY}--\r\n`,
      );
      return answer;
    },
    hangUp: () => req.destroy(),
  };
}

export type OpenUpload = ReturnType<typeof openUpload>;

/**
 * Opens an upload with `open`, sends `bytes` of its file (1 KiB) and no
 * more, and tells whether it was `spooled` or answered (`503
 * spool_full`, `401 unauthorized`).
 */
export async function holdPlace(
  dataDir: string,
  open: () => OpenUpload,
  held: OpenUpload[],
  bytes: Buffer | string = Buffer.alloc(1024, 1),
): Promise<string> {
  const before = await spooled(dataDir);
  const upload = open();
  held.push(upload);
  if (bytes.length > 0) upload.send(bytes);
  return Promise.race([
    upload.answer.then((a) => `${a.status} ${a.body.code}`),
    waitUntil(async () => (await spooled(dataDir)) > before, {
      timeoutMs: 10_000,
      message: 'neither spooled nor answered',
    }).then(() => 'spooled'),
  ]);
}
