import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { openQueue } from '@ingest/queue';
import {
  listenOnLoopback,
  type LoopbackServer,
  type TestSite,
  type TestStack,
  type WebhookReceiver,
} from '@ingest/testkit';
import { peakRssOf, rssOf, sampleRss } from './rss';
import type { SmallFiles } from './small-files';
import { callOk, pidOf, redisUsedMemory, webhookOf } from './stack-kit';
import { timed } from './stats';

/** A 44-byte WAV header: 16-bit stereo 44.1 kHz, `dataBytes` of PCM. */
function wavHeader(dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(44_100, 24);
  h.writeUInt32LE(44_100 * 4, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/**
 * Serves one real WAV of `bytes` bytes, generated as it is sent (a
 * 441 Hz tone: 100 frames repeat exactly), so nothing is held in memory
 * on this side either.
 */
export async function hugeWavServer(bytes: number): Promise<LoopbackServer> {
  const period = Buffer.alloc(100 * 4);
  for (let i = 0; i < 100; i++) {
    const v = Math.round(8000 * Math.sin((2 * Math.PI * i) / 100));
    period.writeInt16LE(v, i * 4);
    period.writeInt16LE(v, i * 4 + 2);
  }
  const chunk = Buffer.concat(Array.from({ length: 164 }, () => period));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': bytes });
    let left = bytes - 44;
    res.write(wavHeader(left));
    const pump = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  return listenOnLoopback(server);
}

export interface GatewayFetch {
  bytes: number;
  idleRss: number;
  peakRss: number;
  /** VmHWM after the fetch: the process's high-water mark so far. */
  hwm: number;
  ms: number;
}

/** Gateway RSS while it fetches one huge source by URL. */
export async function gatewayFetchMemory(
  stack: TestStack,
  site: TestSite,
  bytes: number,
): Promise<GatewayFetch> {
  const pid = pidOf(stack, 'gateway');
  const source = await hugeWavServer(bytes);
  try {
    const job = await callOk(stack, site, 'createJob', { name: 'huge' });
    const idleRss = await rssOf(pid);
    const sampler = sampleRss(pid, 50);
    const run = await timed(() =>
      callOk(stack, site, 'upload', { url: `${source.url}/huge.wav`, job_id: job.job_id }),
    );
    const trace = await sampler.stop();
    await callOk(stack, site, 'delete', { upload_id: run.value.upload_id });
    return { bytes, idleRss, peakRss: trace.peak, hwm: await peakRssOf(pid), ms: run.ms };
  } finally {
    await source.close();
  }
}

export interface NotifierBacklog {
  deliveries: number;
  idleRss: number;
  peakRss: number;
  /** used_memory with the deliveries queued, minus before. */
  redisDelta: number;
  sampledMs: number;
}

/**
 * Notifier RSS with `count` webhook deliveries pending toward a loopback
 * receiver that accepts connections and never answers.
 */
export async function notifierBacklog(
  stack: TestStack,
  site: TestSite,
  small: SmallFiles,
  smallUrl: string,
  receiver: WebhookReceiver,
  count: number,
  sampleMs: number,
): Promise<NotifierBacklog> {
  // A real completed job, so every delivery has an event to send.
  const job = await callOk(stack, site, 'createJob', { name: 'backlog' });
  await callOk(stack, site, 'upload', {
    url: `${smallUrl}/${900_000_000 + small.bytes}.wav`,
    job_id: job.job_id,
  });
  await callOk(stack, site, 'publish', { job_id: job.job_id, oncomplete: receiver.url });
  await webhookOf(receiver, job.job_id, 300_000);

  const held: http.ServerResponse[] = [];
  const silent = await listenOnLoopback(
    http.createServer((_req, res) => void held.push(res)),
  );
  const pid = pidOf(stack, 'notifier');
  const queue = openQueue('webhook', stack.redis);
  try {
    const idleRss = await rssOf(pid);
    const before = await redisUsedMemory(stack);
    for (let i = 0; i < count; i += 500) {
      const batch = Array.from({ length: Math.min(500, count - i) }, (_, k) => {
        const eventId = `bench-${randomUUID()}`;
        return {
          name: 'webhook',
          data: { jobId: job.job_id as number, eventId, url: `${silent.url}/hook` },
          opts: { jobId: `w-${eventId}-${i + k}`, attempts: 8 },
        };
      });
      await queue.addBulk(batch);
    }
    const queued = await redisUsedMemory(stack);
    const sampler = sampleRss(pid, 100);
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const trace = await sampler.stop();
    await queue.obliterate({ force: true });
    return {
      deliveries: count,
      idleRss,
      peakRss: trace.peak,
      redisDelta: queued - before,
      sampledMs: sampleMs,
    };
  } finally {
    await queue.close();
    await silent.close();
  }
}
