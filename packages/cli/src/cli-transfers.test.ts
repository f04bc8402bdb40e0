import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IngestClient } from '@ingest/client';
import {
  makeTone,
  TestStack,
  throttleProxy,
  waitUntil,
  type ThrottleProxy,
} from '@ingest/testkit';
import { startIngest } from './testing/run-ingest';

async function partFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith('.part'));
}

describe('long transfers: Ctrl-C, files that vanish, a busy slot', { timeout: 240_000 }, () => {
  let stack: TestStack;
  let slow: ThrottleProxy;
  let dir: string;
  let client: IngestClient;
  let env: Record<string, string>;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-cli-int-'));
    await makeTone(path.join(dir, 'a-small.wav'), { seconds: 1, codec: 'pcm_s16le' });
    // About 5 MB: 25 s through the proxy below.
    await makeTone(path.join(dir, 'b-large.wav'), { seconds: 30, codec: 'pcm_s16le' });
    stack = await TestStack.start();
    const site = await stack.createSite();
    client = new IngestClient({ url: stack.gatewayUrl, token: site.token });
    slow = await throttleProxy(stack.gatewayUrl, {
      pathPrefix: '/api/',
      bytesPerSecond: 200_000,
    });
    env = { INGEST_URL: slow.url, INGEST_TOKEN: site.token };
  });

  after(async () => {
    await slow?.close();
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('upload: reports the uploads made and exits 130', async () => {
    const { job_id } = await client.createJob({ name: 'interrupted upload' });
    const run = startIngest(['upload', dir, '--job', String(job_id), '--json'], env);
    // The small file is in; the large one is on its way. Its request
    // comes only once the command has the small one's answer (a fixed
    // wait after the upload was listed could cut that answer instead).
    await waitUntil(() => slow.requestsTo('/api/import/upload') >= 2, {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    assert.equal((await client.list(job_id)).tracks.length, 1);
    run.child.kill('SIGINT');
    const result = await run.done;

    // Stopped before the large file (25 s at the proxy's pace) was sent
    // to its end: only the small one's body went through whole.
    assert.equal(slow.wholeBodiesTo('/api/import/upload'), 1, 'sent to its end');
    assert.equal(result.code, 130, result.stderr);
    const body = JSON.parse(result.stdout);
    assert.equal(body.interrupted, true);
    assert.equal(body.uploads.length, 1);
    assert.equal(path.basename(body.uploads[0].source), 'a-small.wav');
    assert.equal(body.not_sent, 1);
    assert.equal(body.skipped, undefined);
    assert.match(result.stderr, /interrupted; 1 source\(s\) not sent/);
    assert.equal((await client.list(job_id)).tracks.length, 1);
  });

  it('download: removes the partial file and exits 130', async () => {
    // A site of its own: the upload just cut may hold the first one's
    // upload slot until its gateway notices.
    const site = await stack.createSite();
    const owner = new IngestClient({ url: stack.gatewayUrl, token: site.token });
    const { job_id } = await owner.createJob({ name: 'to download' });
    await owner.upload(
      { file: path.join(dir, 'b-large.wav') },
      { jobId: job_id, formats: ['wav'] },
    );
    await owner.publish({ jobId: job_id });
    await owner.waitForJob(job_id, { intervalMs: 100, timeoutMs: 120_000 });

    for (const signals of [1, 2]) {
      const out = path.join(dir, `out-${signals}`);
      const args = ['download', '--job', String(job_id), '--out', out, '--json'];
      const run = startIngest(args, { ...env, INGEST_TOKEN: site.token });
      await waitUntil(async () => (await partFiles(out)).length === 1, {
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      for (let n = 0; n < signals; n++) run.child.kill('SIGINT');
      const result = await run.done;

      assert.equal(result.code, 130, result.stderr);
      assert.deepEqual(await readdir(out), [], 'no file and no .part left');
      if (signals === 1) {
        const body = JSON.parse(result.stdout);
        assert.equal(body.interrupted, true);
        assert.deepEqual(body.files, []);
      }
    }
  });

  it('upload: a file removed midway fails by name; the rest go on', async () => {
    const folder = path.join(dir, 'vanishing');
    await mkdir(folder);
    await copyFile(path.join(dir, 'b-large.wav'), path.join(folder, '1-slow.wav'));
    await makeTone(path.join(folder, '2-gone.wav'), { seconds: 1, codec: 'pcm_s16le' });
    await makeTone(path.join(folder, '3-fine.wav'), { seconds: 1.5, codec: 'pcm_s16le' });
    const site = await stack.createSite();
    const run = startIngest(['upload', folder, '--json'], { ...env, INGEST_TOKEN: site.token });
    // The first file is on its way: it holds the site's upload slot.
    const slot = `{ingest}:site:${site.id}:uploading`;
    await waitUntil(async () => (await stack.redis.exists(slot)) === 1, {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    await rm(path.join(folder, '2-gone.wav'));
    const result = await run.done;

    assert.equal(result.code, 2, result.stderr + result.stdout);
    const body = JSON.parse(result.stdout);
    const outcomes = body.uploads.map((u: any) => [path.basename(u.source), u.code]);
    assert.deepEqual(outcomes, [
      ['1-slow.wav', undefined],
      ['2-gone.wav', 'file_error'],
      ['3-fine.wav', undefined],
    ]);
    assert.equal(body.uploads[1].errno, 'ENOENT');
    assert.match(result.stderr, /2-gone\.wav: no such file \(ENOENT\)/);
  });

  it('download: a long Filename is cut to fit, extension kept', async () => {
    const site = await stack.createSite();
    const owner = new IngestClient({ url: stack.gatewayUrl, token: site.token });
    const { job_id } = await owner.createJob({ name: 'long names' });
    const Filename = `${'é'.repeat(200)}.wav`;
    for (const seconds of [1, 1.5]) {
      const file = path.join(dir, `tone-${seconds}.wav`);
      await makeTone(file, { seconds, codec: 'pcm_s16le' });
      await owner.upload({ file }, { jobId: job_id, meta: { Filename }, formats: ['mp3'] });
    }
    await owner.publish({ jobId: job_id });
    await owner.waitForJob(job_id, { intervalMs: 100, timeoutMs: 120_000 });

    const out = path.join(dir, 'long-names');
    const args = ['download', '--job', String(job_id), '--out', out, '--json'];
    const run = startIngest(args, { INGEST_URL: stack.gatewayUrl, INGEST_TOKEN: site.token });
    const result = await run.done;

    assert.equal(result.code, 0, result.stderr);
    const names = await readdir(out);
    assert.equal(names.length, 2);
    for (const name of names) {
      assert.ok(Buffer.byteLength(name) <= 241, `${name}: too long`);
      assert.match(name, /é\.mp3$/);
    }
  });

  it('upload: waits for the site\'s upload slot, saying so', async () => {
    const site = await stack.createSite();
    // Another client of the site holds the slot until the command waits.
    const lease = await stack.store.uploadSlots.take(
      site.id,
      'another-client',
      60_000,
    );
    assert.ok(lease);
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      lease.stop();
      await stack.store.uploadSlots.release(site.id, 'another-client');
    };
    try {
      const run = startIngest(['upload', path.join(dir, 'a-small.wav'), '--slot-wait', '60'], {
        INGEST_URL: stack.gatewayUrl,
        INGEST_TOKEN: site.token,
      });
      let said = '';
      run.child.stderr.on('data', (chunk) => (said += chunk));
      run.child.stdout.on('data', (chunk) => (said += chunk));
      // The command's own wait, past the client's retries of the 429:
      // only it counts the seconds of --slot-wait.
      const waits = () => /waiting for the upload slot \(\d+ s of 60 s\)/.test(said);
      await waitUntil(() => waits() || run.child.exitCode !== null, {
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      assert.ok(waits(), `never said it waits:\n${said}`);
      assert.equal(run.child.exitCode, null, `gave up:\n${said}`);
      assert.doesNotMatch(said, /uploaded/, 'uploaded while the slot was held');
      await release();
      const result = await run.done;

      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /waiting for the upload slot/);
      assert.match(result.stdout, /uploaded .*a-small\.wav -> upload \d+/);
    } finally {
      await release();
    }
  });
});
