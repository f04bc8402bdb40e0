import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { asciiDomain, ConfigError, isSingleAddress } from '@ingest/core';
import { z } from 'zod';
import {
  byteSize,
  longDuration,
  flag,
  schedule,
  timerDuration,
  wholeNumber,
} from './setting-kinds';

/** The longest a presigned S3 URL is valid (Signature Version 4): 7 days. */
const PRESIGNED_MAX_MS = 7 * 86_400_000;

/** A URL with a host, of one of the schemes `protocol` matches. */
function serverUrl(protocol: RegExp, expected: string) {
  return z.string().refine(
    (v) => {
      try {
        const url = new URL(v);
        return protocol.test(url.protocol) && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: `expected ${expected}` },
  );
}

/**
 * A Redis URL. ioredis reads any other scheme (`http://host`) as a Unix
 * socket path and retries it for ever, so the start would hang, not
 * refuse.
 */
const redisUrl = serverUrl(
  /^rediss?:$/,
  'redis://[:password@]host[:port][/db] or rediss://…',
);

/**
 * An SMTP server's URL. nodemailer takes any URL as one: `localhost:25`
 * (scheme `localhost:`) sent every email to 0.0.0.25 on port 587, and
 * the start said nothing of it; each email then failed in the delivery
 * log.
 */
const smtpUrl = serverUrl(
  /^smtps?:$/,
  'smtp://[user:password@]host[:port] or smtps://…',
);

/** An IP address, or a CIDR range of them (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Addresses and CIDR ranges, comma-separated. */
const addressList = z.string().transform((v, ctx) => {
  const entries = v.split(',').map((entry) => entry.trim()).filter(Boolean);
  const bad = entries.filter((entry) => !isAddressOrRange(entry));
  if (bad.length === 0) return entries;
  ctx.addIssue({
    code: 'custom',
    message:
      'expected IP addresses or CIDR ranges, comma-separated ' +
      `(10.0.0.0/8,::1), not ${bad.map((entry) => entry.slice(0, 60)).join(', ')}`,
  });
  return z.NEVER;
});

// zod's own words ("Too small: expected string to have >=16 characters")
// read unlike every other setting's.
const token = z.string().min(16, 'expected at least 16 characters');

const positive = wholeNumber(1);

/** How `loadConfig` reads the settings, beyond the environment. */
export interface ConfigOptions {
  /**
   * Who needs each port fixed (`npm start`, which waits for every
   * service's /readyz on its port): ports then run from 1, and 0 is
   * refused naming it. Unset, 0 is taken: the system picks a free port.
   */
  fixedPortsFor?: string;
}

/** The port settings; 0 among them only when no one needs them fixed. */
function portSettings({ fixedPortsFor }: ConfigOptions) {
  const port =
    fixedPortsFor === undefined
      ? wholeNumber(0, 65535)
      : z
          .string()
          .refine((text) => Number(text) !== 0, {
            error:
              `0 lets the system pick one, and ${fixedPortsFor} needs a fixed port: ` +
              'expected a whole number from 1 to 65535',
            abort: true,
          })
          .pipe(wholeNumber(1, 65535));
  return {
    PORT: port.default(8080),
    GATEWAY_OPS_PORT: port.optional(),
    TRANSCODER_PORT: port.default(9101),
    NOTIFIER_PORT: port.default(9102),
  };
}

/** Every setting, by its environment variable (SPEC §6). */
const schema = z.object({
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  ...portSettings({}),
  HOST: z.string().default('0.0.0.0'),
  INGEST_DATA_DIR: z.string().default('./var'),
  STORAGE_URL: z
    .string()
    .regex(/^(file|s3):\/\//, 'expected file:///path or s3://bucket?…')
    .optional(),
  SMTP_URL: smtpUrl.optional(),
  INGEST_MAIL_FROM: z.string().default('catalog-ingest <ingest@localhost>'),
  INGEST_PUBLIC_URL: z.string().url().optional(),
  INGEST_ALLOW_PRIVATE_URLS: flag.default(false),
  TRANSCODER_CONCURRENCY: positive.default(os.availableParallelism()),
  INGEST_IMPORT_CONCURRENCY: positive.default(2),
  FFMPEG_PATH: z.string().optional(),
  FFPROBE_PATH: z.string().optional(),
  INGEST_MAX_SOURCE_BYTES: byteSize.default(2 * 1024 ** 3),
  INGEST_SITE_QUOTA: byteSize.optional(),
  INGEST_MAX_DURATION: longDuration
    .refine((ms) => ms >= 1000, { error: 'expected a duration of 1s or more, like 4h' })
    .default(4 * 3_600_000),
  INGEST_FETCH_TIMEOUT: timerDuration(1).default(10 * 60_000),
  INGEST_FETCH_MAX_REDIRECTS: wholeNumber(0).default(5),
  INGEST_MAX_CONNECTIONS: positive.optional(),
  INGEST_MAX_CONNECTIONS_PER_CLIENT: positive.optional(),
  INGEST_TRUST_PROXY: addressList.default([]),
  INGEST_TRANSCODE_TIMEOUT: timerDuration(1).default(30 * 60_000),
  INGEST_TRANSCODE_LOCK: timerDuration(1).default(60_000),
  INGEST_WEBHOOK_SCHEDULE: schedule.default([
    5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
  ]),
  INGEST_WEBHOOK_TIMEOUT: timerDuration(1).default(15_000),
  INGEST_EMAIL_SCHEDULE: schedule.default([30_000, 300_000, 1_800_000]),
  INGEST_EMAILS_PER_SITE_HOUR: positive.default(100),
  INGEST_AUTOPUBLISH_IDLE: timerDuration(1).default(10 * 60_000),
  INGEST_AUTOPUBLISH_MAX_UPLOADS: positive.default(1000),
  INGEST_SHUTDOWN_TIMEOUT: timerDuration(0).default(30_000),
  INGEST_DEV_TOKEN: token.optional(),
  INGEST_DEV_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'expected whsec_<base64>')
    .optional(),
  // The rule the API holds `email` and `oncomplete` to: zod's own took
  // no international domain (`jo@bücher.de`, which createJob takes).
  INGEST_DEV_CONTACT_EMAIL: z
    .string()
    .transform(asciiDomain)
    .refine(isSingleAddress, {
      error: 'expected one plain email address (an ASCII name before the @)',
    })
    .optional(),
  INGEST_DEV_CUSTOM_FIELDS: z.string().default('External ID'),
  INGEST_DOWNLOAD_MODE: z.enum(['proxy', 'redirect']).default('proxy'),
  // Past 7d the S3 SDK refuses to presign: every redirected download failed.
  INGEST_DOWNLOAD_URL_TTL: longDuration
    .refine((ms) => ms <= PRESIGNED_MAX_MS, {
      error: 'too long: expected a duration of at most 7d, the longest a presigned S3 URL is valid',
    })
    .default(5 * 60_000),
  INGEST_ADMIN_TOKEN: token.optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
});

/**
 * Every environment variable the settings read (SPEC §6), so deploy
 * files and docs are checked against the code.
 */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

type Raw = z.output<typeof schema>;

/** The parsed, frozen settings every service reads instead of the env. */
export interface Config {
  redisUrl: string;
  port: number;
  /** A port of its own for the gateway's /healthz, /readyz, /metrics. */
  gatewayOpsPort?: number;
  transcoderPort: number;
  notifierPort: number;
  host: string;
  dataDir: string;
  storageUrl: string;
  smtpUrl?: string;
  mailFrom: string;
  publicUrl: string;
  allowPrivateUrls: boolean;
  transcoderConcurrency: number;
  /** Queue imports one gateway runs at once (docs/inbound-queue.md). */
  importConcurrency: number;
  ffmpegPath?: string;
  ffprobePath?: string;
  maxSourceBytes: number;
  /**
   * Bytes of sources and renditions one site may hold in storage
   * (INGEST_SITE_QUOTA, e.g. `50GiB`); unset, no limit.
   */
  siteQuotaBytes?: number;
  /**
   * Longest source accepted (ms), by its header at upload and by what
   * decodes at transcode; default 4 h. It bounds what renditions of a
   * small, highly compressed source can take on disk.
   */
  maxDurationMs: number;
  fetchTimeoutMs: number;
  fetchMaxRedirects: number;
  /**
   * Connections one gateway holds at once; more are dropped. Unset: the
   * gateway picks one from its open-file limit (http/server-limits.ts).
   */
  maxConnections?: number;
  /**
   * Connections one client (peer address, IPv6 by /64) holds at once;
   * more are dropped. Unset: a quarter of maxConnections.
   */
  maxConnectionsPerClient?: number;
  /**
   * Proxies in front of the gateway (addresses, CIDR ranges) whose
   * X-Forwarded-For it believes; empty: it believes none.
   */
  trustProxy: string[];
  transcodeTimeoutMs: number;
  /**
   * How long a transcoder's hold on a run lasts without renewal (ms);
   * after a crash, another transcoder takes the run back once it lapses.
   */
  transcodeLockMs: number;
  webhookScheduleMs: number[];
  webhookTimeoutMs: number;
  emailScheduleMs: number[];
  /**
   * Job-completion emails (to `oncomplete` and createJob addresses) one
   * site sends in any hour; more wait their turn, none is dropped.
   */
  emailsPerSiteHour: number;
  autopublishIdleMs: number;
  autopublishMaxUploads: number;
  shutdownTimeoutMs: number;
  logLevel: Raw['LOG_LEVEL'];
  /**
   * `redirect`: downloads answer 302 to a presigned storage URL (S3
   * only; other stores are proxied anyway). `proxy`: the gateway streams.
   */
  downloadMode: Raw['INGEST_DOWNLOAD_MODE'];
  /** Lifetime of a presigned download URL (ms). */
  downloadUrlTtlMs: number;
  /** Opens the queue dashboard at /admin/queues; unset: no dashboard. */
  adminToken?: string;
  /** The default site `npm start` makes; random values when unset. */
  dev: {
    token?: string;
    webhookSecret?: string;
    contactEmail?: string;
    customFields: string[];
    /** INGEST_DEV_CUSTOM_FIELDS was set: a site found by token takes it. */
    customFieldsGiven: boolean;
  };
  /** True when REDIS_URL was given, false when the default was taken. */
  redisUrlGiven: boolean;
}

// Defined beside StartRefusal: storage refuses a bad STORAGE_URL with it.
export { ConfigError };

/**
 * Parses the settings once. Every bad variable is reported together,
 * each naming what was expected.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  options: ConfigOptions = {},
): Config {
  const settings = options.fixedPortsFor ? schema.extend(portSettings(options)) : schema;
  const parsed = settings.safeParse(withoutBlanks(env));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  }

  const raw = parsed.data;
  const dataDir = path.resolve(raw.INGEST_DATA_DIR);
  return Object.freeze({
    redisUrl: raw.REDIS_URL,
    port: raw.PORT,
    gatewayOpsPort: raw.GATEWAY_OPS_PORT,
    transcoderPort: raw.TRANSCODER_PORT,
    notifierPort: raw.NOTIFIER_PORT,
    host: raw.HOST,
    dataDir,
    storageUrl:
      raw.STORAGE_URL ?? `file://${path.join(dataDir, 'storage')}`,
    smtpUrl: raw.SMTP_URL,
    mailFrom: raw.INGEST_MAIL_FROM,
    publicUrl: (
      raw.INGEST_PUBLIC_URL ?? `http://localhost:${raw.PORT}`
    ).replace(/\/+$/, ''),
    allowPrivateUrls: raw.INGEST_ALLOW_PRIVATE_URLS,
    transcoderConcurrency: raw.TRANSCODER_CONCURRENCY,
    importConcurrency: raw.INGEST_IMPORT_CONCURRENCY,
    ffmpegPath: raw.FFMPEG_PATH,
    ffprobePath: raw.FFPROBE_PATH,
    maxSourceBytes: raw.INGEST_MAX_SOURCE_BYTES,
    siteQuotaBytes: raw.INGEST_SITE_QUOTA,
    maxDurationMs: raw.INGEST_MAX_DURATION,
    fetchTimeoutMs: raw.INGEST_FETCH_TIMEOUT,
    fetchMaxRedirects: raw.INGEST_FETCH_MAX_REDIRECTS,
    maxConnections: raw.INGEST_MAX_CONNECTIONS,
    maxConnectionsPerClient: raw.INGEST_MAX_CONNECTIONS_PER_CLIENT,
    trustProxy: raw.INGEST_TRUST_PROXY,
    transcodeTimeoutMs: raw.INGEST_TRANSCODE_TIMEOUT,
    transcodeLockMs: raw.INGEST_TRANSCODE_LOCK,
    webhookScheduleMs: raw.INGEST_WEBHOOK_SCHEDULE,
    webhookTimeoutMs: raw.INGEST_WEBHOOK_TIMEOUT,
    emailScheduleMs: raw.INGEST_EMAIL_SCHEDULE,
    emailsPerSiteHour: raw.INGEST_EMAILS_PER_SITE_HOUR,
    autopublishIdleMs: raw.INGEST_AUTOPUBLISH_IDLE,
    autopublishMaxUploads: raw.INGEST_AUTOPUBLISH_MAX_UPLOADS,
    shutdownTimeoutMs: raw.INGEST_SHUTDOWN_TIMEOUT,
    logLevel: raw.LOG_LEVEL,
    downloadMode: raw.INGEST_DOWNLOAD_MODE,
    downloadUrlTtlMs: raw.INGEST_DOWNLOAD_URL_TTL,
    adminToken: raw.INGEST_ADMIN_TOKEN,
    dev: {
      token: raw.INGEST_DEV_TOKEN,
      webhookSecret: raw.INGEST_DEV_WEBHOOK_SECRET,
      contactEmail: raw.INGEST_DEV_CONTACT_EMAIL,
      customFields: raw.INGEST_DEV_CUSTOM_FIELDS.split(',')
        .map((name) => name.trim())
        .filter(Boolean),
      customFieldsGiven: Boolean(env.INGEST_DEV_CUSTOM_FIELDS),
    },
    redisUrlGiven: Boolean(env.REDIS_URL),
  });
}

/** An empty variable means "unset", as in most shells' habits. */
function withoutBlanks(env: Record<string, string | undefined>) {
  return Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
}
