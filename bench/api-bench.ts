import { createRedis, jobIds, QUEUE_POLICIES } from '@ingest/queue';
import type { TestSite, TestStack, WebhookReceiver } from '@ingest/testkit';
import { Queue } from 'bullmq';
import type { SmallFiles } from './small-files';
import { callOk, redisUsedMemory, webhookOf } from './stack-kit';
import { timed } from './stats';

export interface ApiContext {
  stack: TestStack;
  sites: TestSite[];
  small: SmallFiles;
  smallUrl: string;
  receiver: WebhookReceiver;
}

let counter = 0;
const nextFile = () => ++counter;

export type UploadKind = 'url' | 'multipart';

async function uploadOne(
  ctx: ApiContext,
  site: TestSite,
  jobId: number,
  kind: UploadKind,
): Promise<number> {
  const n = nextFile();
  if (kind === 'url') {
    const body = await callOk(ctx.stack, site, 'upload', {
      url: `${ctx.smallUrl}/${n}.wav`,
      job_id: jobId,
    });
    return body.upload_id;
  }
  const form = new FormData();
  form.set('job_id', String(jobId));
  form.set('file', new Blob([ctx.small.file(n)]), `${n}.wav`);
  const res = await fetch(`${ctx.stack.gatewayUrl}/api/import/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${site.token}` },
    body: form,
  });
  const body = (await res.json()) as { upload_id: number };
  if (res.status !== 200) throw new Error(`upload ${res.status}: ${JSON.stringify(body)}`);
  return body.upload_id;
}

/**
 * Uploads accepted per second: every site uploads its share one after
 * another (one upload per site may be fetching), the sites in parallel.
 */
export async function uploadRate(
  ctx: ApiContext,
  kind: UploadKind,
  total: number,
): Promise<number> {
  const jobs = await Promise.all(
    ctx.sites.map(async (site) =>
      (await callOk(ctx.stack, site, 'createJob', { name: 'rate' })).job_id as number,
    ),
  );
  const share = Math.ceil(total / ctx.sites.length);
  const run = await timed(() =>
    Promise.all(
      ctx.sites.map(async (site, i) => {
        for (let k = 0; k < share; k++) await uploadOne(ctx, site, jobs[i], kind);
      }),
    ),
  );
  // Leave nothing queued for later sections.
  await Promise.all(
    ctx.sites.map((site) => callOk(ctx.stack, site, 'delete', { upload_id: 'ALL' })),
  );
  return (share * ctx.sites.length) / (run.ms / 1000);
}

/**
 * Raw BullMQ `add` on the same Redis, with the transcode queue's payload
 * and options and as many callers at once as sites, as a floor.
 */
export async function rawAddRate(
  stack: TestStack,
  total: number,
  lanes: number,
): Promise<number> {
  const connection = createRedis(stack.redisServer.url);
  const queue = new Queue('bench-raw', { connection, prefix: '{benchraw}' });
  let n = 0;
  const run = await timed(() =>
    Promise.all(
      Array.from({ length: lanes }, async () => {
        while (n < total) {
          const id = ++n + counter * 1000;
          await queue.add(
            'transcode',
            { uploadId: id, requestId: 'bench-request-id-0000' },
            { ...QUEUE_POLICIES.transcode.job, jobId: jobIds.transcode(id) },
          );
        }
      }),
    ),
  );
  counter += 1;
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return total / (run.ms / 1000);
}

/** publish → the upload's status leaves `queued` (a transcoder took it). */
export async function publishLatency(ctx: ApiContext, site: TestSite) {
  const job = await callOk(ctx.stack, site, 'createJob', { name: 'latency' });
  const uploadId = await uploadOne(ctx, site, job.job_id, 'url');
  const started = performance.now();
  await callOk(ctx.stack, site, 'publish', { job_id: job.job_id });
  const answeredMs = performance.now() - started;
  for (;;) {
    const upload = await ctx.stack.store.uploadById(uploadId);
    if (upload && upload.status !== 'queued') break;
    if (performance.now() - started > 60_000) throw new Error('never taken');
    await new Promise((resolve) => setImmediate(resolve));
  }
  const takenMs = performance.now() - started;
  await ctx.stack.waitForJob(site.token, job.job_id);
  return { answeredMs, takenMs };
}

export interface BigJob {
  uploads: number;
  uploadMs: number;
  processMs: number;
  /** used_memory after all uploads were accepted, minus before. */
  queuedDelta: number;
  /** used_memory after the job completed, minus before. */
  completeDelta: number;
}

/** A job of `count` small uploads, end to end, and what Redis holds for it. */
export async function bigJob(
  ctx: ApiContext,
  site: TestSite,
  count: number,
): Promise<BigJob> {
  const before = await redisUsedMemory(ctx.stack);
  const job = await callOk(ctx.stack, site, 'createJob', { name: 'big' });
  const upload = await timed(async () => {
    for (let i = 0; i < count; i++) await uploadOne(ctx, site, job.job_id, 'url');
  });
  const queued = await redisUsedMemory(ctx.stack);
  const processed = await timed(async () => {
    await callOk(ctx.stack, site, 'publish', {
      job_id: job.job_id,
      oncomplete: ctx.receiver.url,
    });
    await webhookOf(ctx.receiver, job.job_id, 3_600_000);
  });
  const after = await redisUsedMemory(ctx.stack);
  return {
    uploads: count,
    uploadMs: upload.ms,
    processMs: processed.ms,
    queuedDelta: queued - before,
    completeDelta: after - before,
  };
}
