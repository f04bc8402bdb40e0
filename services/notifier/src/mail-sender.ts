import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';

/** One message, every header value already validated. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * A stable key of this message (the delivery job id): it names the
   * outbox file and the Message-ID, so a retry replaces rather than
   * duplicates.
   */
  key: string;
  /** The job it tells of, to name the outbox file by (`job-17-….eml`). */
  jobId?: number;
}

export interface MailSender {
  /**
   * Sends `mail`; `stop` aborting (a shutdown handing the send back)
   * closes the connection, so a message given back is not sent later too.
   */
  send(mail: OutgoingMail, stop?: AbortSignal): Promise<void>;
  /**
   * Whether mail can go out, for `/readyz`: the outbox can be written.
   * An SMTP server is not asked (a probe every few seconds would be a
   * connection each); its failures show in the delivery log.
   */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export interface MailSenderOptions {
  /** SMTP server URL; unset writes `.eml` files to `outboxDir` instead. */
  smtpUrl?: string;
  /** The From header, from the operator's configuration. */
  from: string;
  outboxDir: string;
  /** Longest one SMTP send may take, in ms; default 3 minutes. */
  sendTimeoutMs?: number;
}

const SMTP_TIMEOUTS = {
  connectionTimeout: 30_000,
  greetingTimeout: 30_000,
  socketTimeout: 60_000,
};

/**
 * The timeouts above are per step and per silence: a server that keeps
 * answering a little (a tarpit's endless "250-" lines) passes them all
 * and holds the send, and one of the few email slots, for ever.
 */
const SMTP_SEND_LIMIT_MS = 180_000;

/** A send cut at its time limit; its connection has been closed. */
export class MailTimeoutError extends Error {
  /** What the delivery log shows, as for a webhook past its time. */
  readonly code = 'timeout';

  constructor(limitMs: number, options?: ErrorOptions) {
    super(`SMTP send not done within ${limitMs / 1000} s`, options);
    this.name = 'MailTimeoutError';
  }
}

/** Sends through SMTP when configured, else into the local outbox. */
export function createMailSender(options: MailSenderOptions): MailSender {
  if (/[\r\n]/.test(options.from)) {
    throw new Error('INGEST_MAIL_FROM must be a single line');
  }
  return options.smtpUrl
    ? smtpSender(
        options.smtpUrl,
        options.from,
        options.sendTimeoutMs ?? SMTP_SEND_LIMIT_MS,
      )
    : outboxSender(options.outboxDir, options.from);
}

function smtpSender(url: string, from: string, limitMs: number): MailSender {
  const transport = nodemailer.createTransport(
    { url, ...SMTP_TIMEOUTS },
    { from, disableFileAccess: true, disableUrlAccess: true },
  );
  let closed = false;

  return {
    async send(mail, stop) {
      // nodemailer closes the connection when the signal aborts.
      const limit = AbortSignal.timeout(limitMs);
      const signal = stop ? AbortSignal.any([limit, stop]) : limit;
      try {
        await transport.sendMail({ ...messageOf(mail), signal });
      } catch (err) {
        if (limit.aborted) throw new MailTimeoutError(limitMs, { cause: err });
        throw err;
      }
    },
    ready: async () => true,
    async close() {
      if (closed) return;
      closed = true;
      transport.close();
    },
  };
}

function outboxSender(dir: string, from: string): MailSender {
  const transport = nodemailer.createTransport(
    { streamTransport: true, buffer: true, newline: 'windows' },
    { from, disableFileAccess: true, disableUrlAccess: true },
  );

  return {
    async send(mail) {
      const info = await transport.sendMail(messageOf(mail));
      // Named by the job for a person looking through the folder, and by
      // the key so a retry replaces its file.
      const named = mail.jobId === undefined ? '' : `job-${mail.jobId}-`;
      const file = path.join(dir, `${named}${digest(mail.key)}.eml`);
      const temp = `${file}.${process.pid}.tmp`;

      await mkdir(dir, { recursive: true });
      try {
        await writeFile(temp, info.message as Buffer);
        await rename(temp, file);
      } finally {
        await rm(temp, { force: true });
      }
    },
    async ready() {
      try {
        await mkdir(dir, { recursive: true });
        await access(dir, constants.W_OK | constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    async close() {},
  };
}

function messageOf(mail: OutgoingMail) {
  return {
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: `<${digest(mail.key)}@catalog-ingest>`,
  };
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
