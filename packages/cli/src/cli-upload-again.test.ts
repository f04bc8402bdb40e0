import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IngestClient } from '@ingest/client';
import { makeTone, TestStack } from '@ingest/testkit';
import { jsonOf, runIngest } from './testing/run-ingest';

/**
 * `ingest upload` run again on a folder, as after a Ctrl-C: the files the
 * first run sent are in the job already, and are not failures.
 */
describe('ingest upload run again', { timeout: 300_000 }, () => {
  let stack: TestStack;
  let dir: string;
  let env: Record<string, string>;
  let client: IngestClient;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-upload-again-'));
    await mkdir(path.join(dir, 'album'));
    await makeTone(path.join(dir, 'album', '01-a.wav'), { seconds: 1, codec: 'pcm_s16le' });
    await makeTone(path.join(dir, 'album', '02-b.wav'), {
      seconds: 1,
      frequency: 660,
      codec: 'pcm_s16le',
    });
    stack = await TestStack.start();
    const site = await stack.createSite();
    env = { INGEST_URL: stack.gatewayUrl, INGEST_TOKEN: site.token };
    client = new IngestClient({ url: stack.gatewayUrl, token: site.token });
  });

  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts files a run before sent as already in the job, exit 0', async () => {
    const album = path.join(dir, 'album');
    const { job_id } = await client.createJob({ name: 'again' });
    const job = ['--job', String(job_id)];
    // The first run sent one file before it was cut short.
    const first = await runIngest(['upload', path.join(album, '01-a.wav'), ...job], env);
    assert.equal(first.code, 0, first.stderr);
    const [, id] = /-> upload (\d+)/.exec(first.stdout) ?? [];

    const again = await runIngest(['upload', album, ...job, '--meta', 'Artist=X'], env);

    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stderr,
      new RegExp(
        `01-a\\.wav: already in the job as upload ${id} \\(the same bytes\\); ` +
          'not sent again, its metadata not changed',
      ),
    );
    assert.match(again.stdout, /02-b\.wav -> upload \d+/);
    assert.match(again.stdout, /^1 uploaded, 1 already in the job, 0 failed$/m);
    assert.equal((await client.list(job_id)).tracks.length, 2);

    const json = await runIngest(['upload', album, ...job, '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const { uploads } = jsonOf(json) as { uploads: Array<Record<string, unknown>> };
    assert.equal(uploads.length, 2);
    for (const entry of uploads) {
      assert.equal(entry.already_in_job, true, JSON.stringify(entry));
      assert.equal(typeof entry.upload_id, 'number');
    }
  });

  it('keeps the same bytes twice in one run a failure', async () => {
    const twins = path.join(dir, 'twins');
    await mkdir(twins);
    await copyFile(path.join(dir, 'album', '01-a.wav'), path.join(twins, 'one.wav'));
    await copyFile(path.join(dir, 'album', '01-a.wav'), path.join(twins, 'two.wav'));
    const { job_id } = await client.createJob({ name: 'twins' });

    const result = await runIngest(['upload', twins, '--job', String(job_id)], env);

    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /two\.wav: the job already holds these bytes/);
    assert.match(result.stdout, /^1 uploaded, 1 failed$/m);
  });
});
