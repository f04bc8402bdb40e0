/**
 * Loopback servers and state fixtures for the notifier's integration
 * tests: a webhook receiver, an SMTP server and a completed job.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Rendition } from '@ingest/core';
import { createRedis, jobIds, type TypedQueue } from '@ingest/queue';
import { StateStore } from '@ingest/state';
import { RedisServer, waitUntil } from '@ingest/testkit';
import type { Redis } from 'ioredis';
import { simpleParser, type ParsedMail } from 'mailparser';
import pino, { type Logger } from 'pino';
import { SMTPServer } from 'smtp-server';

export interface ReceivedHook {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** An HTTP server on 127.0.0.1 answering each path by a script. */
export class HookReceiver {
  readonly received: ReceivedHook[] = [];
  /** Statuses to answer per path, in order; the last one repeats. */
  readonly scripts = new Map<string, number[]>();
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0];
        const seen = this.received.filter((r) => r.path === path).length;
        this.received.push({
          path,
          headers: req.headers as Record<string, string>,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const script = this.scripts.get(path) ?? [200];
        res.statusCode = script[Math.min(seen, script.length - 1)];
        res.end('ok');
      });
    });
  }

  static async start(): Promise<HookReceiver> {
    const receiver = new HookReceiver();
    await new Promise<void>((resolve) =>
      receiver.server.listen(0, '127.0.0.1', resolve),
    );
    return receiver;
  }

  get origin(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** A fresh path answering `statuses`; returns its full URL. */
  route(statuses: number[], query = ''): { url: string; path: string } {
    const path = `/hook/${randomUUID()}`;
    this.scripts.set(path, statuses);
    return { url: `${this.origin}${path}${query}`, path };
  }

  at(path: string): ReceivedHook[] {
    return this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** A real SMTP server on 127.0.0.1 that keeps every message it accepts. */
export class MailCatcher {
  readonly inbox: ParsedMail[] = [];
  /** Messages to refuse with 451 before accepting again. */
  refuseNext = 0;
  private readonly server: SMTPServer;
  port = 0;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        if (this.refuseNext > 0) {
          this.refuseNext -= 1;
          stream.resume();
          stream.on('end', () => {
            const err = new Error('try again later') as Error & {
              responseCode: number;
            };
            err.responseCode = 451;
            callback(err);
          });
          return;
        }
        simpleParser(stream)
          .then((mail) => {
            this.inbox.push(mail);
            callback();
          })
          .catch(callback);
      },
    });
  }

  static async start(): Promise<MailCatcher> {
    const catcher = new MailCatcher();
    await new Promise<void>((resolve) => {
      const net = catcher.server.listen(0, '127.0.0.1', () => {
        catcher.port = (net.address() as AddressInfo).port;
        resolve();
      });
    });
    return catcher;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string): ParsedMail[] {
    return this.inbox.filter((m) =>
      addressesOf(m).includes(address.toLowerCase()),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function addressesOf(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((t) => t.value.map((v) => (v.address ?? '').toLowerCase()));
}

/** A logger whose lines the test can read back. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

export function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 8_000,
): Promise<T> {
  return waitUntil(check, {
    timeoutMs,
    intervalMs: 25,
    message: 'condition not met in time',
  });
}

/**
 * How the webhook job of `jobId` ended, once it has: no attempt of it is
 * still to come, however late the schedule runs on a loaded machine.
 */
export function webhookEnd(
  store: StateStore,
  webhooks: TypedQueue<'webhook'>,
  jobId: number,
): Promise<'completed' | 'failed'> {
  return waitFor(async () => {
    const log = await store.deliveries.list(jobId);
    const first = log.find((d) => d.channel === 'webhook');
    if (!first) return false;
    const job = await webhooks.getJob(jobIds.webhook(first.eventId));
    const state = await job?.getState();
    return (state === 'completed' || state === 'failed') && state;
  });
}

export const sleep = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, ms));

export interface CompletedJobOptions {
  oncomplete?: string;
  /** Made by createJob, with this email (or none: the contact). */
  created?: { email?: string };
  contactEmail?: string;
  /** A job of this site (made by an earlier call), not of a new one. */
  siteId?: number;
  /** The file name and Title of the published and the errored upload. */
  names?: Record<'good' | 'bad', { fileName: string; title: string }>;
}

const rendition = (format: 'mp3' | 'wav', bytes: number): Rendition => ({
  format,
  storageKey: `tracks/x.${format}`,
  bytes,
  sha256: randomBytes(32).toString('hex'),
  duration: 3.25,
  sampleRate: 44_100,
  channels: 2,
  codec: format === 'mp3' ? 'mp3' : 'pcm_s16le',
});

/**
 * A site with a job of two uploads, one published with a track of two
 * renditions and one errored, moved through the store as the transcoder
 * would, so the job ends `complete`.
 */
export async function completedJob(
  store: StateStore,
  options: CompletedJobOptions = {},
) {
  const site =
    options.siteId === undefined
      ? await store.createSite({
          name: 'test',
          token: randomUUID(),
          webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
          contactEmail: options.contactEmail,
        })
      : await store.getSite(options.siteId);
  assert.ok(site);
  const secret = site.webhookSecret;
  const job = options.created
    ? await store.createJob(site.id, {
        name: 'Batch',
        email: options.created.email,
      })
    : await store.mainJob(site.id);

  const source = {
    format: 'wav',
    storageKey: 'sources/a.wav',
    filename: 'a.wav',
    bytes: 100,
    sha256: 'x',
  };
  const input = { formats: ['mp3', 'wav'] as const, sources: { wav: source } };
  const { names } = options;
  const good = await store.addUpload(site.id, job.id, {
    ...input,
    formats: [...input.formats],
    meta: { Title: names?.good.title ?? 'Good' },
    fileName: names?.good.fileName,
  });
  const bad = await store.addUpload(site.id, job.id, {
    ...input,
    formats: [...input.formats],
    meta: { Title: names?.bad.title ?? 'Bad' },
    fileName: names?.bad.fileName,
  });
  assert.ok(good !== 'closed' && bad !== 'closed');
  if (options.oncomplete) await store.setOncomplete(job.id, options.oncomplete);
  assert.ok(typeof (await store.publish(job.id)) === 'object');

  await store.moveUpload(good, 'transcoding');
  const trackId = await store.claimTrackId(good.id);
  await store.saveTrack({
    id: trackId,
    siteId: site.id,
    uploadId: good.id,
    jobId: job.id,
    meta: good.meta,
    renditions: { mp3: rendition('mp3', 1234), wav: rendition('wav', 5678) },
    createdAt: new Date().toISOString(),
  });
  await store.moveUpload(good, 'published');
  await store.moveUpload(bad, 'transcoding');
  const last = await store.moveUpload(bad, 'error', {
    error: 'no audio stream',
    errorCode: 'no_audio',
  });
  assert.equal(last.jobState, 'complete');

  const done = await store.jobById(job.id);
  assert.ok(done);
  return { site, secret, job: done, trackId, good, bad };
}

/**
 * The settings every notifier integration test starts with: its Redis,
 * a free port on loopback, its own data dir and loopback receivers
 * allowed; `extra` adds to them or replaces them.
 */
export function notifierSettings(
  redisUrl: string,
  dataDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    NOTIFIER_PORT: '0',
    HOST: '127.0.0.1',
    INGEST_DATA_DIR: dataDir,
    INGEST_ALLOW_PRIVATE_URLS: '1',
    ...extra,
  };
}

/** What a notifier integration test starts from. */
export interface NotifierGround {
  redisServer: RedisServer;
  /** A client of the test's own (blocking-capable, as queues need). */
  redis: Redis;
  store: StateStore;
  /** A temp INGEST_DATA_DIR. */
  dataDir: string;
  /** Ends the client and Redis, removes the data dir. */
  close(): Promise<void>;
}

/** A Redis of its own, a client and store on it, and a temp data dir. */
export async function notifierGround(name: string): Promise<NotifierGround> {
  const redisServer = await RedisServer.start();
  const redis = createRedis(redisServer.url, 'worker');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `notifier-${name}-`));
  return {
    redisServer,
    redis,
    store: new StateStore(redis),
    dataDir,
    async close() {
      redis.disconnect();
      await redisServer.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
