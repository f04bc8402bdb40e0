/**
 * `npm run bench:ogg`: the CPU the Ogg chain walk (a check every Ogg
 * source gets before ffmpeg reads it) spends on a crafted file of 100 MB
 * of empty pages, the worst an uploader can send it per byte. Prints the
 * median of five walks; BENCHMARKS.md keeps the figures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readOggChain } from '@ingest/media/ogg-chain';
import { writeEmptyOggPages } from '@ingest/testkit';
import { median } from './stats';

const BYTES = 100e6;
const RUNS = 5;

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-ogg-'));
try {
  const file = path.join(dir, 'empty-pages.ogg');
  const pages = await writeEmptyOggPages(file, BYTES);
  const seconds: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const before = process.cpuUsage();
    const walked = await readOggChain(file);
    const used = process.cpuUsage(before);
    if (walked?.streams.length !== 1) throw new Error('the walk lost the stream');
    seconds.push((used.user + used.system) / 1e6);
  }
  const shown = seconds.map((s) => s.toFixed(2)).join(', ');
  console.log(
    `Ogg walk, ${BYTES / 1e6} MB of ${pages} empty pages: median ` +
      `${median(seconds).toFixed(2)} s of CPU (runs: ${shown}; load ${os.loadavg()[0].toFixed(1)})`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
