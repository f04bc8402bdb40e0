/**
 * Sources that decode but that the bundled ffmpeg failed on, through the
 * whole stack: a stereo WAV whose channel mask names a rear pair (BL+BR,
 * which it cannot mix down), a float WAV holding samples that are no
 * numbers (which crashed its mp3 encoder), and 320 kb/s mp3 audio inside
 * a WAV (whose packets, copied as the mp3 rendition, made a file that
 * could not be decoded back), and an mp3 joined from a mono part and a
 * stereo one (whose flac came out short). Each is taken, made and
 * verified, beside the others in one job.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { defaultBinaryPaths } from '@ingest/media';
import { makeTone, startFixtureStack, type FixtureStack } from '@ingest/testkit';

const SOURCES: Record<string, { channels: number; args: string[] }> = {
  'not-a-number.wav': {
    channels: 1,
    // A float tone, one sample in 997 not a number.
    args: ['-af', "aeval=exprs='if(eq(mod(n,997),5),0/0,val(0))'", '-c:a', 'pcm_f32le'],
  },
  'mp3-inside.wav': {
    channels: 2,
    args: ['-c:a', 'libmp3lame', '-b:a', '320k', '-f', 'wav'],
  },
};

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({
    fixtures: async (dir) => {
      for (const [name, { channels, args }] of Object.entries(SOURCES)) {
        await makeTone(path.join(dir, name), { seconds: 2, channels, args });
      }
      // makeTone's channel count would ask for the stereo layout.
      await promisify(execFile)(defaultBinaryPaths().ffmpegPath, [
        '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=duration=2',
        '-af', 'pan=BL+BR|c0=c0|c1=c0', path.join(dir, 'rear-pair.wav'),
      ]);
      const parts = [];
      for (const channels of [1, 2]) {
        const part = path.join(dir, `part-${channels}.mp3`);
        await makeTone(part, { seconds: 1, channels, codec: 'libmp3lame' });
        parts.push(await readFile(part));
      }
      await writeFile(path.join(dir, 'joined.mp3'), Buffer.concat(parts));
    },
  });
});

after(() => fixture?.close());

const call = (endpoint: string, params: Record<string, unknown>) =>
  fixture.stack.call(endpoint, fixture.site.token, params);

test('each is published with every format verified, none failing the others', async () => {
  const { files, stack, site } = fixture;
  const job = (await call('/api/import/createJob', { name: 'odd samples' })).body.job_id;
  const uploads = new Map<number, string>();
  for (const name of ['rear-pair.wav', 'joined.mp3', ...Object.keys(SOURCES)]) {
    const { status, body } = await call('/api/import/upload', {
      url: `${files.url}/${name}`,
      job_id: job,
    });
    assert.equal(status, 200, `${name}: ${JSON.stringify(body)}`);
    uploads.set(body.upload_id, name);
    const set = await call('/api/import/setFormats', {
      upload_id: body.upload_id,
      formats: 'mp3,wav,flac',
    });
    assert.equal(set.status, 200, `${name}: ${JSON.stringify(set.body)}`);
  }

  assert.equal((await call('/api/import/publish', { job_id: job })).status, 200);
  const check = await stack.waitForJob(site.token, job);
  const list = await call('/api/import/list', { job_id: job });
  const errors = list.body.tracks.filter((t: { error?: string }) => t.error);
  assert.deepEqual(errors, [], 'no upload errored');
  assert.deepEqual([check.d, check.e], [uploads.size, 0]);

  for (const track of list.body.tracks) {
    const name = uploads.get(track.upload_id)!;
    const { body } = await call('/api/tracks/getById', { track_id: track.track_id });
    const formats = body.track.formats;
    assert.deepEqual(Object.keys(formats).sort(), ['flac', 'mp3', 'wav'], name);
    // Two parts of 1 s, each with its encoder's padding: about 2.06 s.
    const seconds = name === 'joined.mp3' ? 2.06 : 2;
    for (const [format, facts] of Object.entries<any>(formats)) {
      const off = Math.abs(facts.duration - seconds);
      assert.ok(off < 0.06, `${name} ${format}: ${facts.duration} s`);
    }
  }
});
