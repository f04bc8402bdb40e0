import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { defaultBinaryPaths } from './binary-paths';
import { decodeChains } from './chain-decode';
import { createToolRunner } from './ffmpeg-runner';
import { createMediaTools } from './index';
import { silentLogger } from './media-logger';
import { probeSource } from './probe';
import { ffmpeg, rejectsWith } from './test-fixtures';

// A small source that decodes to far more audio than it holds is read
// only as far as INGEST_MAX_DURATION and INGEST_SITE_QUOTA allow, also
// where ffmpeg 4.1's own limits do not hold: its `-t` counts again from
// each link of a chained Ogg whose format changes, and its `-fs` stops
// no output while another still takes audio.

const runner = createToolRunner(defaultBinaryPaths());
const options = { timeoutMs: 120_000 };
const tools = createMediaTools();
const dir = mkdtempSync(join(tmpdir(), 'runaway-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 12 links of 2 s of FLAC, 44.1 kHz stereo and 22.05 kHz mono in turn. */
function alternatingChain(): string {
  const link = (rate: number, channels: number) => {
    const part = join(dir, `link-${rate}.ogg`);
    ffmpeg([
      '-f', 'lavfi', '-i', `sine=sample_rate=${rate}:duration=2`,
      '-ac', String(channels), '-c:a', 'flac', '-f', 'ogg', part,
    ]);
    return readFileSync(part);
  };
  const pair = Buffer.concat([link(44_100, 2), link(22_050, 1)]);
  const path = join(dir, 'chain.ogg');
  writeFileSync(path, Buffer.concat(Array.from({ length: 6 }, () => pair)));
  return path;
}

test("a chain's decoded copy holds no more than the duration limit reads", async () => {
  const probe = await probeSource(runner, alternatingChain(), options);
  assert.equal(probe.chain.formatChanges, true);

  // Before, the copy held all 24 s whatever the limit: 129 KB of such
  // links of 7.1 silence at 384 kHz made 2.2 GB in the work dir.
  const chains = await decodeChains(
    { runner, logger: silentLogger },
    [probe],
    join(dir, 'out'),
    { ...options, maxDurationS: 3 },
  );
  assert.equal(chains.temps.length, 1);
  const copy = await probeSource(runner, chains.paths[0], options);
  const seconds = copy.headerDurationS ?? 0;
  assert.ok(seconds >= 4 && seconds < 12, `the copy holds ${seconds} s`);
});

test('renditions stop where the quota left ends, not at the end of the audio', async () => {
  // 20 min of silence: a few hundred KB of FLAC, 230 MB as WAV.
  const source = join(dir, 'silence.flac');
  ffmpeg([
    '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo', '-t', '1200',
    '-c:a', 'flac', source,
  ]);
  const error = await rejectsWith(
    tools.transcode({
      source,
      renditions: [
        { format: 'wav', path: join(dir, 'q.wav') },
        { format: 'mp3', path: join(dir, 'q.mp3') },
      ],
      maxDurationS: 4 * 3600,
      maxBytes: 1_000_000,
    }),
    'quota_exceeded',
  );
  // What the renditions held when the pass was stopped: before, the wav
  // alone took the whole 230 MB, `-fs` of 1 MB notwithstanding.
  const bytes = Number(error.details?.bytes);
  assert.ok(bytes >= 1_000_000 && bytes < 115_000_000, `${bytes} bytes written`);
});
