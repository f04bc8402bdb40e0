import { readFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  listenOnLoopback,
  makeTone,
  type LoopbackServer,
} from '@ingest/testkit';

/**
 * Small WAV files with distinct bytes (a job refuses the same bytes
 * twice): one generated tone whose last sample carries a counter.
 */
export class SmallFiles {
  private constructor(private readonly base: Buffer) {}

  static async create(seconds = 1): Promise<SmallFiles> {
    const file = path.join(os.tmpdir(), `ingest-bench-small-${seconds}s.wav`);
    await makeTone(file, { seconds });
    return new SmallFiles(await readFile(file));
  }

  get bytes(): number {
    return this.base.length;
  }

  /** The n-th distinct file. */
  file(n: number): Buffer {
    const copy = Buffer.from(this.base);
    copy.writeUInt32LE(n >>> 0, copy.length - 4);
    return copy;
  }

  /** Serves `/<n>.wav` as the n-th file, as a source host would. */
  serve(): Promise<LoopbackServer> {
    const server = http.createServer((req, res) => {
      const n = Number(/\/(\d+)\.wav$/.exec(req.url ?? '')?.[1]);
      if (!Number.isInteger(n)) return void res.writeHead(404).end();
      const body = this.file(n);
      res.writeHead(200, {
        'content-type': 'audio/wav',
        'content-length': body.length,
      });
      res.end(body);
    });
    return listenOnLoopback(server);
  }
}
