/**
 * `npm run webhook:listen`, the README's receiver for trying webhooks.
 * On a port another process held (the README's 9999, or a listener
 * already running) it died of an unhandled 'error' with a stack trace,
 * and a port that was no number became one it could not use. Each must
 * be one plain line on stderr, exit 1; a delivery it gets says whether
 * its signature holds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { freePort, listenOnLoopback, waitUntil } from '@ingest/testkit';
import { assertOneLine } from './stack-processes';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = `whsec_${Buffer.from('a listener test secret!!').toString('base64')}`;

function listen(port: string, secret = SECRET) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/webhook-listener.ts', port],
    { cwd: ROOT, env: { ...process.env, WEBHOOK_SECRET: secret } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // One that should have refused and listens instead is ended (code
  // null), so the test fails rather than waits for ever.
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = new Promise<number | null>((resolve) => {
    child.once('close', (exit) => {
      clearTimeout(guard);
      resolve(exit);
    });
  });
  return { child, code, stdout: () => stdout, stderr: () => stderr };
}

test('webhook:listen on a port another process holds says so in one line', async () => {
  const holder = await listenOnLoopback(http.createServer());
  const port = new URL(holder.url).port;
  const run = listen(port);
  try {
    assert.equal(await run.code, 1, run.stderr());
    assertOneLine(
      run.stderr(),
      new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port}: another process listens there`),
    );
  } finally {
    run.child.kill('SIGKILL');
    await holder.close();
  }
});

test('webhook:listen given no port number says so in one line', async () => {
  for (const given of ['abc', '0', '70000']) {
    const run = listen(given);
    assert.equal(await run.code, 1, run.stderr());
    assertOneLine(run.stderr(), new RegExp(`^not a port: ${given}; usage: npm run webhook:listen`));
  }
});

test('webhook:listen given a secret that is none says so in one line', async () => {
  // The README's placeholder pasted as it stands, and one that is no base64.
  for (const secret of ['whsec_…', 'whsec_abc']) {
    const run = listen(String(await freePort()), secret);
    assert.equal(await run.code, 1, run.stderr());
    assertOneLine(run.stderr(), /^WEBHOOK_SECRET is not a webhook secret \(whsec_ and base64\)/);
  }
});

test('webhook:listen checks the signature of a delivery', async () => {
  const port = String(await freePort());
  const run = listen(port);
  try {
    await waitUntil(() => run.stdout().includes('listening on'), {
      timeoutMs: 30_000,
      message: () => `not listening:\n${run.stdout()}${run.stderr()}`,
    });
    const body = JSON.stringify({ type: 'job.completed', job_id: 1 });
    const headers = {
      'webhook-id': 'evt_1_test',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    };
    const signature = new Webhook(SECRET).sign(
      headers['webhook-id'], new Date(Number(headers['webhook-timestamp']) * 1000), body,
    );
    // A receiver answers a bad signature with a refusal, so that the
    // service retries it; the listener answered 204 to both.
    const answers = [];
    for (const sent of [body, body.replace('1', '2')]) {
      const res = await fetch(`http://127.0.0.1:${port}/hook`, {
        method: 'POST',
        headers: { ...headers, 'webhook-signature': signature },
        body: sent,
      });
      answers.push(res.status);
    }
    assert.deepEqual(answers, [204, 401]);
    await waitUntil(() => run.stdout().includes('signature: INVALID'), {
      timeoutMs: 10_000,
      message: () => run.stdout(),
    });
    assert.match(run.stdout(), /POST \/hook webhook evt_1_test signature: valid\n/);
    // A bare INVALID left a user holding another site's secret guessing.
    assert.match(
      run.stdout(),
      /signature: INVALID \(No matching signature found\); answered 401.*its own secret/,
    );
  } finally {
    run.child.kill('SIGKILL');
  }
});
