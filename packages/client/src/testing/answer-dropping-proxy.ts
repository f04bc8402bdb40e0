import http from 'node:http';
import { forwardRequest, listenOnLoopback } from '@ingest/testkit';

export interface AnswerDroppingProxy {
  url: string;
  /** The Idempotency-Key of each request to the path, in order. */
  keys: Array<string | undefined>;
  close(): Promise<void>;
}

/**
 * A loopback reverse proxy in front of `target` that lets the first
 * `drops` requests to `path` reach the gateway, waits for the whole
 * answer, then drops the client's connection without passing it on: the
 * work was done, the client cannot know.
 */
export async function answerDroppingProxy(
  target: string,
  options: { path: string; drops: number },
): Promise<AnswerDroppingProxy> {
  const upstream = new URL(target);
  const keys: Array<string | undefined> = [];
  let drops = options.drops;

  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://proxy').pathname;
    const drop = pathname === options.path && drops > 0;
    if (pathname === options.path) {
      keys.push(req.headers['idempotency-key'] as string | undefined);
      if (drop) drops--;
    }
    const forward = forwardRequest(upstream, req, res, (answer) => {
      if (drop) {
        answer.resume();
        answer.on('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });

  return { ...(await listenOnLoopback(server)), keys };
}
