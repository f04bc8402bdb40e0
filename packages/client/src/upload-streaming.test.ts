import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import busboy from 'busboy';
import { listenOnLoopback, waitUntil } from '@ingest/testkit';
import { IngestClient, UploadFileError } from './index';

interface SinkRequest {
  headers: http.IncomingHttpHeaders;
  fields: Record<string, string>;
  filename: string;
  sha256: string;
  bytes: number;
}

/**
 * A loopback stand-in for the gateway's upload endpoint that reads the
 * multipart body slowly (a pause per MiB), so a client that reads its
 * source ahead of the socket would show it.
 */
async function slowSink() {
  const seen: SinkRequest[] = [];
  let received = 0;
  const server = http.createServer((req, res) => {
    // Read as the gateway reads it (services/gateway read-params).
    const parser = busboy({ headers: req.headers, defParamCharset: 'utf8' });
    const fields: Record<string, string> = {};
    let file: Omit<SinkRequest, 'headers' | 'fields'> | undefined;
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (_name, stream, info) => {
      const hash = createHash('sha256');
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      stream.on('end', () => {
        file = { filename: info.filename ?? '', sha256: hash.digest('hex'), bytes };
      });
    });
    parser.on('close', () => {
      if (file) seen.push({ headers: req.headers, fields, ...file });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upload_id: seen.length, status: 'uploaded', formats: ['mp3'] }));
    });

    let sinceLastPause = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      sinceLastPause += chunk.length;
      if (sinceLastPause >= 1 << 20) {
        sinceLastPause = 0;
        req.pause();
        setTimeout(() => req.resume(), 5);
      }
    });
    req.pipe(parser);
  });
  return {
    ...(await listenOnLoopback(server)),
    seen,
    received: () => received,
  };
}

describe('multipart uploads', () => {
  let sink: Awaited<ReturnType<typeof slowSink>>;
  let dir: string;
  let client: IngestClient;

  before(async () => {
    sink = await slowSink();
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-multipart-'));
    client = new IngestClient({ url: sink.url, token: 't' });
  });

  after(async () => {
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pulls a stream only as fast as the server reads', async () => {
    const chunk = randomBytes(64 * 1024);
    const total = 48 * 1024 * 1024;
    const expected = createHash('sha256');
    let pulled = 0;
    let maxAhead = 0;
    async function* source() {
      while (pulled < total) {
        pulled += chunk.length;
        expected.update(chunk);
        maxAhead = Math.max(maxAhead, pulled - sink.received());
        yield chunk;
      }
    }

    await client.upload({ file: source(), filename: 'generated.wav' });

    const got = sink.seen.at(-1);
    assert.equal(got?.bytes, total);
    assert.equal(got?.sha256, expected.digest('hex'));
    assert.equal(got?.headers['transfer-encoding'], 'chunked');
    // Socket buffers on loopback hold a few MiB at most; reading the
    // source ahead would put this near 48 MiB.
    assert.ok(maxAhead < 12 * 1024 * 1024, `read ${maxAhead} bytes ahead`);
  });

  it('sends a file by path with its length, fields first', async () => {
    const file = path.join(dir, 'Ünïcode "name".wav');
    const content = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(file, content);

    await client.upload(
      { file },
      { jobId: 7, formats: ['mp3', 'wav'], meta: { Title: 'A "quoted" title' } },
    );

    const got = sink.seen.at(-1);
    assert.ok(got);
    assert.equal(got.filename, 'Ünïcode "name".wav');
    assert.equal(got.sha256, createHash('sha256').update(content).digest('hex'));
    assert.equal(got.headers['transfer-encoding'], undefined);
    assert.ok(Number(got.headers['content-length']) > content.length);
    assert.deepEqual(got.fields, {
      job_id: '7',
      formats: 'mp3,wav',
      'meta[Title]': 'A "quoted" title',
    });
    assert.equal(got.headers.authorization, 'Bearer t');
  });

  it('sends a Blob with its length', async () => {
    const content = randomBytes(100_000);
    await client.upload({ file: new Blob([content]), filename: 'b.mp3' });

    const got = sink.seen.at(-1);
    assert.equal(got?.filename, 'b.mp3');
    assert.equal(got?.bytes, content.length);
    assert.ok(got?.headers['content-length']);
  });

  it('refuses a source of another shape at once, sending nothing', async () => {
    const before = sink.seen.length;
    const blob = new Blob([randomBytes(1000)]);
    const shapes: [unknown, string][] = [
      [blob, 'a Blob'],
      [Buffer.alloc(10), 'bytes (put them in a Blob)'],
      [{ path: './x.wav' }, 'an object with path'],
      [{ file: 42, filename: 'x.wav' }, 'an object with file, filename'],
    ];
    for (const [source, shape] of shapes) {
      // What plain JavaScript may pass: the README's "Blob, stream" read
      // as the source itself failed as an IngestNetworkError.
      await assert.rejects(client.upload(source as never), (err: unknown) => {
        assert.ok(err instanceof TypeError, String(err));
        assert.match(err.message, /\{ file: Blob or stream, filename \}/);
        assert.ok(err.message.endsWith(`not ${shape}`), err.message);
        return true;
      });
    }
    assert.equal(sink.seen.length, before);
  });

  it('names a missing file, and one cut short while sent', async () => {
    const missing = path.join(dir, 'nope.wav');
    const error = await client.upload({ file: missing }).catch((err: unknown) => err);
    assert.ok(error instanceof UploadFileError, String(error));
    assert.equal(error.code, 'ENOENT');
    assert.equal(error.path, missing);
    assert.equal(error.message, `${missing}: no such file (ENOENT)`);

    const folder = await client.upload({ file: dir }).catch((err: unknown) => err);
    assert.ok(folder instanceof UploadFileError);
    assert.equal(folder.code, 'EISDIR');

    // 64 MiB read by the slow sink: 5 ms per MiB, so the file is gone
    // well before its end.
    const file = path.join(dir, 'vanishing.wav');
    await writeFile(file, Buffer.alloc(64 * 1024 * 1024));
    const before = sink.received();
    const sending = client.upload({ file }).catch((err: unknown) => err);
    // Cut once its bytes arrive: its size was read, and sending has begun.
    await waitUntil(() => sink.received() > before, { timeoutMs: 30_000, intervalMs: 1 });
    await truncate(file, 1000);
    const vanished = await sending;
    assert.ok(vanished instanceof UploadFileError, String(vanished));
    assert.match(vanished.message, /vanishing\.wav: could not be read to the end/);
  });
});
