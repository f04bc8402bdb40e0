/**
 * `npm start` keeps its stack running: a transcoder killed with SIGKILL,
 * and then the Redis it started, come back by themselves and an upload
 * still publishes. Ctrl-C still stops every process and exits 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { freePort, makeTone, waitUntil, withDeadline } from '@ingest/testkit';
import { pidRunning, processesOf } from './stack-processes';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('npm start restarts what died; Ctrl-C still stops all', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-npm-restart-'));
  const dataDir = path.join(dir, 'data');
  const token = randomBytes(18).toString('base64url');
  const port = await freePort();
  const env = {
    ...process.env,
    INGEST_DATA_DIR: dataDir,
    INGEST_DEV_TOKEN: token,
    PORT: String(port),
    TRANSCODER_PORT: String(await freePort()),
    NOTIFIER_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  };
  // Its own process group, as in a terminal: the group gets the Ctrl-C.
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let said = '';
  npm.stdout.on('data', (chunk) => (said += chunk));
  npm.stderr.on('data', (chunk) => (said += chunk));
  const exited = new Promise<number | null>((resolve) =>
    npm.once('exit', (code) => resolve(code)),
  );
  const saying = (text: string, timeoutMs = 30_000) =>
    waitUntil(() => said.includes(text), {
      timeoutMs,
      message: () => `npm start never said "${text}":\n${said.slice(-4000)}`,
    });

  try {
    await saying('Ctrl-C stops everything', 120_000);
    for (const part of ['dist/transcoder.mjs', 'redis-server']) {
      await killAndSeeBack(dataDir, part, saying);
    }

    const done = await uploadAndPublish(`http://127.0.0.1:${port}`, token, dir);
    assert.deepEqual([done.q, done.i, done.d, done.e], [0, 0, 1, 0]);

    const started = await processesOf(dataDir);
    process.kill(-npm.pid!, 'SIGINT');
    const code = await withDeadline(exited, {
      timeoutMs: 45_000,
      message: () => `npm start still runs after Ctrl-C:\n${said.slice(-4000)}`,
    });
    assert.equal(code, 0, said.slice(-4000));
    const left = (await processesOf(dataDir)).filter((p) => started.includes(p));
    assert.deepEqual(left, [], 'processes of the stack left after Ctrl-C');
  } finally {
    try { process.kill(-npm.pid!, 'SIGKILL'); } catch { /* gone */ }
    for (const pid of await processesOf(dataDir)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await rm(dir, { recursive: true, force: true });
  }
});

/** kill -9 to the stack's process running `part`; a new one must come. */
async function killAndSeeBack(
  dataDir: string,
  part: string,
  saying: (text: string) => Promise<unknown>,
) {
  const name = path.basename(part).replace(/\.mjs$/, '');
  const pid = await pidRunning(dataDir, part);
  assert.ok(pid, `no ${name} runs`);
  process.kill(pid, 'SIGKILL');
  await saying(`${name} exited (signal SIGKILL); restarting in 1 s`);
  const again = await waitUntil(
    async () => {
      const now = await pidRunning(dataDir, part);
      return now !== pid && now;
    },
    { timeoutMs: 30_000, message: `no new ${name} after the kill` },
  );
  console.log(`# observed: ${name} ${pid} killed, ${again} runs in its place`);
}

/** One short tone uploaded and published; the job once complete. */
async function uploadAndPublish(gateway: string, token: string, dir: string) {
  const file = await makeTone(path.join(dir, 'tone.wav'), { seconds: 2 });
  const call = async (endpoint: string, body: FormData | object) => {
    const json = !(body instanceof FormData);
    const res = await fetch(`${gateway}/api/import/${endpoint}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(json ? { 'content-type': 'application/json' } : {}),
      },
      body: json ? JSON.stringify(body) : body,
    });
    const answer: any = await res.json();
    assert.equal(res.status, 200, `${endpoint}: ${JSON.stringify(answer)}`);
    return answer;
  };

  const form = new FormData();
  form.set('formats', 'mp3');
  form.set('file', new Blob([await readFile(file)]), 'tone.wav');
  // Calls made while a restarted Redis loads its data may wait a moment.
  await call('upload', form);
  const { job_id: jobId } = await call('publish', {});
  let last: unknown;
  return waitUntil(
    async () => {
      const body = await call('checkJob', { job_id: jobId });
      last = body;
      return body.state === 'complete' && body;
    },
    { timeoutMs: 60_000, message: () => `job not complete: ${JSON.stringify(last)}` },
  );
}
