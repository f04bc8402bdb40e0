/**
 * Dolby (AC-3, E-AC-3, TrueHD, MLP), DTS (raw and DTS-HD) and DSD (DSF,
 * DSDIFF) sources through the whole stack: taken at upload, made into
 * verified renditions, and, cut short, treated as any cut source is:
 * `truncated` where the file declares its length, published shorter
 * where it declares none (a raw stream).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  ffprobe,
  makeTone,
  startFixtureStack,
  wrapDtsHd,
  writeDff,
  writeDsf,
  type FixtureStack,
} from '@ingest/testkit';

interface Source {
  name: string;
  container: string;
  seconds: number;
  /** Declares its length: cut, it errors truncated. */
  declares: boolean;
}

const SOURCES: Source[] = [
  { name: 'dolby.ac3', container: 'ac3', seconds: 3, declares: false },
  { name: 'plus.eac3', container: 'eac3', seconds: 3, declares: false },
  { name: 'core.dts', container: 'dts', seconds: 3, declares: false },
  { name: 'lossless.thd', container: 'truehd', seconds: 3, declares: false },
  { name: 'meridian.mlp', container: 'mlp', seconds: 3, declares: false },
  { name: 'master.dtshd', container: 'dtshd', seconds: 3, declares: true },
  { name: 'sacd.dsf', container: 'dsf', seconds: 2, declares: true },
  { name: 'philips.dff', container: 'dff', seconds: 2, declares: true },
];

const ENCODERS: Record<string, string[]> = {
  ac3: ['-c:a', 'ac3'],
  eac3: ['-c:a', 'eac3'],
  dts: ['-c:a', 'dca', '-strict', '-2'],
  truehd: ['-c:a', 'truehd', '-strict', '-2', '-f', 'truehd'],
  mlp: ['-c:a', 'mlp', '-strict', '-2', '-f', 'mlp'],
};

async function writeFixtures(dir: string) {
  for (const source of SOURCES) {
    const file = path.join(dir, source.name);
    if (source.container === 'dsf') await writeDsf(file, source);
    else if (source.container === 'dff') await writeDff(file, source);
    else if (source.container === 'dtshd') {
      await wrapDtsHd(path.join(dir, 'core.dts'), file, 48_000);
    } else {
      const args = ENCODERS[source.container];
      await makeTone(file, { seconds: source.seconds, sampleRate: 48_000, args });
    }
    // The first third of its bytes, as an upload cut short leaves it.
    const bytes = await readFile(file);
    await writeFile(
      path.join(dir, `cut-${source.name}`),
      bytes.subarray(0, Math.floor(bytes.length / 3)),
    );
  }
}

let fixture: FixtureStack;

before(async () => {
  fixture = await startFixtureStack({ fixtures: writeFixtures });
});

after(() => fixture?.close());

const call = (endpoint: string, params: Record<string, unknown>) =>
  fixture.stack.call(`/api/import/${endpoint}`, fixture.site.token, params);

test('each is taken, made and verified; cut, it is truncated or shorter', async () => {
  const { files, stack, site, dir } = fixture;
  const job = (await call('createJob', { name: 'surround and dsd' })).body.job_id;
  const uploads = new Map<number, { source: Source; cut: boolean }>();

  for (const source of SOURCES) {
    for (const cut of [false, true]) {
      const name = cut ? `cut-${source.name}` : source.name;
      const { status, body } = await call('upload', {
        url: `${files.url}/${name}`,
        formats: 'mp3,wav,flac',
        job_id: job,
      });
      assert.equal(status, 200, `${name}: ${JSON.stringify(body)}`);
      assert.deepEqual(body.sources, [source.container], name);
      uploads.set(body.upload_id, { source, cut });
    }
  }

  assert.equal((await call('publish', { job_id: job })).status, 200);
  const check = await stack.waitForJob(site.token, job);
  const declaring = SOURCES.filter((s) => s.declares).length;
  assert.deepEqual([check.d, check.e], [uploads.size - declaring, declaring]);

  const list = await call('list', { job_id: job });
  for (const track of list.body.tracks) {
    const { source, cut } = uploads.get(track.upload_id)!;
    const what = `${cut ? 'cut ' : ''}${source.name}`;
    if (cut && source.declares) {
      assert.equal(track.status, 'error', what);
      assert.equal(track.error_code, 'truncated', what);
      const declared = source.seconds.toFixed(1).replace('.', '\\.');
      assert.match(track.error, new RegExp(`^truncated: header says ${declared} s, `));
      continue;
    }
    assert.ok(track.track_id, `${what}: ${track.error}`);
    const { body } = await stack.call('/api/tracks/getById', site.token, {
      track_id: track.track_id,
    });
    const formats = body.track.formats;
    assert.deepEqual(Object.keys(formats).sort(), ['flac', 'mp3', 'wav'], what);
    // A raw stream declares nothing: its first third is all there is.
    const seconds = cut ? source.seconds / 3 : source.seconds;
    const slack = cut ? 0.25 : 0.06;
    const res = await fetch(
      `${stack.gatewayUrl}/api/tracks/download?track_id=${track.track_id}` +
        `&format=flac&token=${site.token}`,
    );
    const file = path.join(dir, `out-${track.upload_id}.flac`);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    const probed = await ffprobe(file);
    const duration = Number(probed.format.duration);
    assert.ok(Math.abs(duration - seconds) < slack, `${what}: flac lasts ${duration} s`);
    for (const facts of Object.values(formats) as Array<{ duration: number }>) {
      assert.ok(Math.abs(facts.duration - duration) < 0.06, `${what}: ${facts.duration} s`);
    }
  }
});
