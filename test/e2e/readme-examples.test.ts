/**
 * The code the docs show runs as written, against the real stack: the
 * programs of packages/client/README.md and packages/client-queue/README.md
 * and the example of docs/inbound-queue.md, each run as the docs say (a
 * file inside the repository, `node --import tsx file.ts`), and the
 * README's webhook check without `standardwebhooks`, held against the
 * notifier's real deliveries and against that reference library.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';
import {
  listenOnLoopback,
  makeTone,
  serveFiles,
  TestStack,
  waitUntil,
  type LoopbackServer,
  type TestSite,
} from '@ingest/testkit';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The first code block of `lang` in a doc, after `heading` if given. */
async function codeBlock(doc: string, lang: string, heading = ''): Promise<string> {
  const text = await readFile(path.join(ROOT, doc), 'utf8');
  const from = text.indexOf(heading);
  assert.ok(from >= 0, `${doc} has no "${heading}"`);
  const block = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(text.slice(from));
  assert.ok(block, `${doc} has no ${lang} block after "${heading}"`);
  return block[1];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node --import tsx <file> ...args` in `cwd`, as the READMEs say. */
function runTs(
  cwd: string,
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file, ...args],
      { cwd, env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

type VerifyWebhook = (
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  toleranceS?: number,
) => boolean;

describe('the docs\' code examples', { timeout: 300_000 }, () => {
  let stack: TestStack;
  let site: TestSite;
  let dir: string;
  let files: LoopbackServer;
  let hooks: LoopbackServer;
  const deliveries: Delivery[] = [];

  before(async () => {
    // Inside the repository, as the READMEs say: its node_modules and its
    // package.json ("type": "module") apply. `.tmp/` is git-ignored.
    await mkdir(path.join(ROOT, '.tmp'), { recursive: true });
    dir = await mkdtemp(path.join(ROOT, '.tmp', 'readme-examples-'));
    await makeTone(path.join(dir, 'song.wav'), { seconds: 2, codec: 'pcm_s16le' });
    await makeTone(path.join(dir, 'queued.wav'), {
      seconds: 2,
      frequency: 660,
      codec: 'pcm_s16le',
    });
    await makeTone(path.join(dir, 'first-light.wav'), {
      seconds: 2,
      frequency: 880,
      codec: 'pcm_s16le',
    });
    stack = await TestStack.start();
    site = await stack.createSite();
    files = await serveFiles(dir);
    hooks = await listenOnLoopback(
      http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk) => chunks.push(chunk));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          deliveries.push({ headers: req.headers, body });
          res.writeHead(204).end();
        });
      }),
    );
  });

  after(async () => {
    await hooks?.close();
    await files?.close();
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('packages/client/README.md: the program runs as written', async () => {
    const code = await codeBlock('packages/client/README.md', 'ts');
    await writeFile(path.join(dir, 'publish-one.ts'), code);

    const run = await runTs(dir, 'publish-one.ts', [], {
      INGEST_URL: stack.gatewayUrl,
      INGEST_TOKEN: site.token,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^job 1 complete: 1 published, 0 errored$/m);

    const refused = await runTs(dir, 'publish-one.ts', [], {
      INGEST_URL: stack.gatewayUrl,
      INGEST_TOKEN: 'not-a-token-of-any-site',
    });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^401 unauthorized: /m);
  });

  test('packages/client-queue/README.md: the program runs as written', async () => {
    const code = await codeBlock('packages/client-queue/README.md', 'ts');
    await writeFile(path.join(dir, 'import-one.ts'), code);
    const env = { REDIS_URL: stack.redisServer.url, SITE_ID: String(site.id) };
    const url = `${files.url}/queued.wav`;

    const run = await runTs(dir, 'import-one.ts', [url], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /status: 'uploaded'/);
    assert.match(run.stdout, /Title: 'A'/);

    // Its catch: the same bytes again in the main job are refused.
    const again = await runTs(dir, 'import-one.ts', [url], env);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /^409 duplicate_upload: /m);
  });

  test('docs/inbound-queue.md: the example runs with a URL of ours', async () => {
    // It names site 1 and a source host of its own; only the host changes.
    assert.equal(site.id, 1);
    const code = (await codeBlock('docs/inbound-queue.md', 'ts')).replace(
      'https://files.example.com/masters/first-light.wav',
      `${files.url}/first-light.wav`,
    );
    assert.match(code, new RegExp(`${files.url}/first-light\\.wav`));
    await writeFile(path.join(dir, 'inbound.ts'), code);
    const uploads = async () =>
      (await stack.call('/api/import/list', site.token)).body.tracks.length;
    const before = await uploads();

    const run = await runTs(dir, 'inbound.ts', [], {
      REDIS_URL: stack.redisServer.url,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '', 'a refusal would be printed');
    // One more upload in the site's main job.
    assert.equal(await uploads(), before + 1);
  });

  test('README: the webhook check holds for real deliveries only', async () => {
    const code = await codeBlock('README.md', 'js', '## Webhooks');
    const file = path.join(dir, 'verify-webhook.mjs');
    await writeFile(file, code);
    const { verifyWebhook } = (await import(pathToFileURL(file).href)) as {
      verifyWebhook: VerifyWebhook;
    };

    const published = await stack.call('/api/import/publish', site.token, {
      oncomplete: `${hooks.url}/hook?token=secret-of-the-receiver`,
    });
    assert.equal(published.status, 200, JSON.stringify(published.body));
    await waitUntil(() => deliveries.length > 0, {
      timeoutMs: 120_000,
      message: () => 'no webhook delivery',
    });
    const [{ headers, body }] = deliveries;
    const id = String(headers['webhook-id']);

    assert.equal(verifyWebhook(site.secret, headers, body), true);
    // The reference library agrees.
    new Webhook(site.secret).verify(body, headers as Record<string, string>);

    const other = `whsec_${randomBytes(24).toString('base64')}`;
    assert.equal(verifyWebhook(other, headers, body), false, 'another secret');
    assert.equal(verifyWebhook(site.secret, headers, body + ' '), false, 'a byte more');
    const reserialised = JSON.stringify(JSON.parse(body), null, 2);
    assert.equal(verifyWebhook(site.secret, headers, reserialised), false);

    // Several entries: any v1 that matches will do; other versions never.
    const signature = String(headers['webhook-signature']);
    const value = signature.slice('v1,'.length);
    const forged = `v1,${randomBytes(32).toString('base64')}`;
    const withMore = { ...headers, 'webhook-signature': `${forged} ${signature}` };
    assert.equal(verifyWebhook(site.secret, withMore, body), true);
    const onlyForged = { ...headers, 'webhook-signature': forged };
    assert.equal(verifyWebhook(site.secret, onlyForged, body), false);
    const otherVersion = { ...headers, 'webhook-signature': `v2,${value}` };
    assert.equal(verifyWebhook(site.secret, otherVersion, body), false);

    // Signed by the reference library: a fresh one passes, a stale one,
    // or one without a usable timestamp, does not.
    const signedAt = (at: Date) => ({
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(site.secret).sign(id, at, body),
    });
    assert.equal(verifyWebhook(site.secret, signedAt(new Date()), body), true);
    const stale = signedAt(new Date(Date.now() - 10 * 60_000));
    assert.equal(verifyWebhook(site.secret, stale, body), false, 'stale');
    assert.equal(verifyWebhook(site.secret, stale, body, 3600), true);
    const early = signedAt(new Date(Date.now() + 10 * 60_000));
    assert.equal(verifyWebhook(site.secret, early, body), false, 'from the future');
    const noTime = { ...headers, 'webhook-timestamp': 'soon' };
    assert.equal(verifyWebhook(site.secret, noTime, body), false);

    // The delivery log shows the webhook by its origin only. The attempt
    // is logged once the receiver's answer is back at the notifier.
    const check = await waitUntil(
      async () => {
        const answer = await stack.call('/api/import/checkJob', site.token, {
          job_id: published.body.job_id,
        });
        return answer.body.deliveries?.length > 0 && answer;
      },
      { timeoutMs: 30_000, message: 'the webhook delivery was never logged' },
    );
    const [logged] = check.body.deliveries;
    assert.equal(logged.target, hooks.url);
    assert.doesNotMatch(JSON.stringify(check.body), /secret-of-the-receiver/);
  });
});
