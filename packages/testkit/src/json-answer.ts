import type { ClientRequest } from 'node:http';

/** A raw request's answer: its status and its body read as JSON. */
export function jsonAnswer(req: ClientRequest): Promise<{ status: number; body: any }> {
  const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', async (res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
    });
  });
  // Awaited later, after the request is written; a failure meanwhile is
  // not left unhandled.
  answer.catch(() => {});
  return answer;
}
