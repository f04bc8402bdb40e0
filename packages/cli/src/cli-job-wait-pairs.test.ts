import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IngestClient } from '@ingest/client';
import { makeTone, type TestStack } from '@ingest/testkit';
import { startCliStack } from './testing/cli-stack';
import { jsonOf, runIngest, startIngest } from './testing/run-ingest';

describe('ingest against a real stack: uploads in the job, download --wait', {
  timeout: 300_000,
}, () => {
  let stack: TestStack;
  let dir: string;
  let env: Record<string, string>;
  let client: IngestClient;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-job-wait-'));
    for (const folder of ['a', 'b', 'c', 'd']) await mkdir(path.join(dir, folder));
    await makeTone(path.join(dir, 'a/song.wav'), { seconds: 3 });
    await makeTone(path.join(dir, 'b/song.flac'), { seconds: 6 });
    await makeTone(path.join(dir, 'c/song.mp3'), { seconds: 3, codec: 'libmp3lame' });
    await makeTone(path.join(dir, 'd/tone.wav'), { seconds: 1 });
    // No transcoder until a test starts one: a published job waits.
    ({ stack, env, client } = await startCliStack({ transcoders: 0 }));
  });

  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a file that would join a waiting upload of another length', async () => {
    const first = await runIngest(['upload', path.join(dir, 'a/song.wav'), '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const uploadId = jsonOf(first).uploads[0].upload_id;

    const other = await runIngest(['upload', path.join(dir, 'b/song.flac'), '--json'], env);
    assert.equal(other.code, 1, other.stderr);
    const body = jsonOf(other);
    assert.equal(body.code, 'mismatched_sources');
    assert.equal(body.groups.length, 1);
    assert.equal(body.groups[0].problem, 'lengths_differ');
    const [inJob, file] = body.groups[0].files;
    assert.equal(inJob.upload_id, uploadId);
    assert.match(inJob.source, new RegExp(`^upload ${uploadId} in job \\d+: song\\.wav$`));
    assert.match(file.source, /b\/song\.flac$/);
    assert.equal(Math.round(file.duration_s), 6);
    assert.match(other.stderr, /song\.wav \(3\.0 s\), .*b\/song\.flac \(6\.0 s\)/);

    const listed = await client.list();
    assert.equal(listed.tracks.length, 1);
    assert.equal(listed.tracks[0].file_name, 'song.wav');
    const upload = await stack.store.uploadById(uploadId);
    assert.deepEqual(Object.keys(upload?.sources ?? {}), ['wav']);

    // One recording in another format joins it, as meant.
    const same = await runIngest(['upload', path.join(dir, 'c/song.mp3')], env);
    assert.equal(same.code, 0, same.stderr);
    const joined = await stack.store.uploadById(uploadId);
    assert.deepEqual(Object.keys(joined?.sources ?? {}).sort(), ['mp3', 'wav']);

    const anyway = await runIngest(
      ['upload', path.join(dir, 'b/song.flac'), '--pair-anyway'],
      env,
    );
    assert.equal(anyway.code, 0, anyway.stderr);
  });

  it('download --wait waits for the job, or exits 4 past --timeout', async () => {
    const { job_id: jobId } = await client.createJob({ name: 'wait' });
    const sent = await runIngest(
      ['upload', path.join(dir, 'd/tone.wav'), '--job', String(jobId)],
      env,
    );
    assert.equal(sent.code, 0, sent.stderr);
    await client.publish({ jobId });
    const job = String(jobId);

    // No transcoder: the job stays publishing.
    const late = await runIngest(
      ['download', '--job', job, '--out', path.join(dir, 'late'), '--wait',
        '--timeout', '1', '--interval', '100', '--json'],
      env,
    );
    assert.equal(late.code, 4, late.stderr);
    const body = jsonOf(late);
    assert.equal(body.code, 'timeout');
    assert.equal(body.job_state, 'publishing');
    assert.equal(body.progress.state, 'publishing');
    assert.match(
      late.stderr,
      /was not complete within --timeout 1 s \(state publishing, q=1 i=0 d=0 e=0\)/,
    );

    const out = path.join(dir, 'waited');
    const waiting = startIngest(
      ['download', '--job', job, '--out', out, '--wait', '--interval', '100'],
      env,
    );
    await stack.startService('transcoder');
    const done = await waiting.done;
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual((await readdir(out)).sort(), ['tone.mp3', 'tone.wav']);
    assert.match(done.stdout, /2 file\(s\) saved to /);

    const alone = await runIngest(
      ['download', '--job', job, '--out', out, '--timeout', '5'],
      env,
    );
    assert.equal(alone.code, 1, alone.stderr);
    assert.match(alone.stderr, /--timeout goes with --wait/);
  });
});
