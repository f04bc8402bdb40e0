import {
  ServiceProcess,
  TestStack,
  freePort,
  waitUntil,
  type TestSite,
  type WebhookReceiver,
} from '@ingest/testkit';
import { ownChild } from './own-children';

/**
 * The bench runs one TestStack (Redis, gateway, notifier as real
 * processes) and starts transcoders itself, so each scaling setting
 * (processes × TRANSCODER_CONCURRENCY) gets fresh ones on the same Redis.
 */
export async function startBenchStack(): Promise<TestStack> {
  return TestStack.start({
    transcoders: 0,
    env: { INGEST_MAX_SOURCE_BYTES: String(4 * 1024 ** 3) },
  });
}

export async function startTranscoders(
  stack: TestStack,
  count: number,
  concurrency: number,
): Promise<ServiceProcess[]> {
  const started: ServiceProcess[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const transcoder = await ServiceProcess.start('transcoder', {
      port,
      env: {
        REDIS_URL: stack.redisServer.url,
        INGEST_DATA_DIR: stack.dataDir,
        INGEST_PUBLIC_URL: stack.gatewayUrl,
        INGEST_ALLOW_PRIVATE_URLS: '1',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        TRANSCODER_PORT: String(port),
        TRANSCODER_CONCURRENCY: String(concurrency),
      },
    });
    ownChild(transcoder.child);
    started.push(transcoder);
  }
  return started;
}

export async function stopAll(services: ServiceProcess[]): Promise<void> {
  await Promise.all(services.map((s) => s.stop('SIGTERM')));
}

export function pidOf(stack: TestStack, name: 'gateway' | 'notifier'): number {
  const service = stack.services.find((s) => s.name === name);
  if (!service?.child.pid) throw new Error(`no ${name} process`);
  return service.child.pid;
}

/** Calls an import endpoint and insists on 200. */
export async function callOk(
  stack: TestStack,
  site: TestSite,
  endpoint: string,
  params: Record<string, unknown> = {},
): Promise<any> {
  const { status, body } = await stack.call(`/api/import/${endpoint}`, site.token, params);
  if (status !== 200) {
    throw new Error(`${endpoint} answered ${status}: ${JSON.stringify(body)}`);
  }
  return body;
}

/** Waits for the completion webhook of one job. */
export async function webhookOf(
  receiver: WebhookReceiver,
  jobId: number,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const hook = await waitUntil(
    () => receiver.received.find((h) => h.body.job_id === jobId),
    { timeoutMs, intervalMs: 20, message: `no webhook for job ${jobId}` },
  );
  return hook.body;
}

/** Redis INFO memory used_memory, bytes. */
export async function redisUsedMemory(stack: TestStack): Promise<number> {
  const info = await stack.redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}
