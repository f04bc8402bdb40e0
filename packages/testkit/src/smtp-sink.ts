import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitUntil } from './wait-until';

export interface SmtpSink {
  url: string;
  messages: ParsedMail[];
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback that keeps every message, parsed.
 * `refuse(n)` may turn the n-th delivery away with a 4xx.
 */
export async function smtpSink(
  refuse: (attempt: number) => boolean = () => false,
): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  let attempts = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const refused = refuse(++attempts);
      simpleParser(stream).then(
        (mail) => {
          if (refused) {
            const err = new Error('try again later') as Error & {
              responseCode: number;
            };
            err.responseCode = 451;
            return callback(err);
          }
          messages.push(mail);
          callback();
        },
        (err) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  const waitFor = (count: number, timeoutMs = 60_000) =>
    waitUntil(() => messages.length >= count && messages, {
      timeoutMs,
      intervalMs: 50,
      message: () => `${messages.length}/${count} emails in ${timeoutMs} ms`,
    });
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
