/**
 * `npm run bench:multipart`: the CPU the gateway's side reader of
 * multipart bodies (services/gateway/src/http/multipart-parts.ts, which
 * reads each part's head and a field's bytes beside busboy) spends on
 * 1 GiB of a file part in 64 KiB chunks, and on part heads of 16 KiB
 * trickled a byte at a time (what a slow sender can make it read).
 * Prints medians of five runs; BENCHMARKS.md keeps the figures.
 */
import os from 'node:os';
import { SentParts } from '../services/gateway/src/http/multipart-parts';
import { median } from './stats';

const RUNS = 5;
const BOUNDARY = '----WebKitFormBoundaryAbCdEf012345';
const FILE_BYTES = 2 ** 30;
const HEAD_PARTS = 20;

function cpuSeconds(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** 1 GiB of a file part, in 64 KiB chunks of bytes that hold no boundary. */
function filePart(): void {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7919 + (i >> 8)) & 255;
  const parts = new SentParts(BOUNDARY, 1 << 20);
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"`;
  parts.push(Buffer.from(`${head}\r\n\r\n`));
  for (let sent = 0; sent < FILE_BYTES; sent += chunk.length) parts.push(chunk);
}

/** Fields whose heads are 16 KiB, each byte a chunk of its own. */
function trickledHeads(): void {
  const head = (i: number) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="k${i}"\r\n` +
    `X-Pad: ${'p'.repeat(16_000)}\r\n\r\nv\r\n`;
  const body = Buffer.from(Array.from({ length: HEAD_PARTS }, (_, i) => head(i)).join(''));
  const parts = new SentParts(BOUNDARY, 1 << 20);
  for (let at = 0; at < body.length; at++) parts.push(body.subarray(at, at + 1));
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  for (let i = 0; i < HEAD_PARTS; i++) {
    if (parts.next()?.name !== `k${i}`) throw new Error(`part k${i} was not read`);
  }
}

for (const [what, work] of [
  ['1 GiB file part, 64 KiB chunks', filePart],
  [`${HEAD_PARTS} heads of 16 KiB, 1-byte chunks`, trickledHeads],
] as const) {
  const runs = Array.from({ length: RUNS }, () => cpuSeconds(work));
  const shown = runs.map((s) => s.toFixed(2)).join(', ');
  console.log(
    `Multipart side reader, ${what}: median ${median(runs).toFixed(2)} s of CPU ` +
      `(runs: ${shown}; load ${os.loadavg()[0].toFixed(1)})`,
  );
}
