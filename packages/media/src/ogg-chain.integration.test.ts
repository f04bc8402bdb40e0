import assert from 'node:assert/strict';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { writeEmptyOggPages } from '@ingest/testkit';
import { createMediaTools } from './index';
import { readOggChain } from './ogg-chain';
import { ffmpeg, rejectsWith } from './test-fixtures';

// A chained Ogg (Ogg files joined end to end) whose links change rate or
// channel count: every rendition holds the whole chain, at the first
// link's rate and channels (chain-decode.ts). Before, the flac rendition
// came out up to 0.1 s short at each change and failed verification, and
// a chain whose later link has the higher rate was called truncated.

const tools = createMediaTools();
const dir = mkdtempSync(join(tmpdir(), 'ogg-chain-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Link {
  rate: number;
  channels: number;
  seconds: number;
}

/** Links of `codec` written one by one and joined into `name`. */
function chain(name: string, codec: string[], links: Link[]): string {
  const parts = links.map((link, i) => {
    const part = join(dir, `${name}-${i}.ogg`);
    ffmpeg([
      '-f', 'lavfi', '-i',
      `sine=frequency=${440 + 110 * i}:sample_rate=${link.rate}:` +
        `duration=${link.seconds}`,
      '-ac', String(link.channels), ...codec, '-f', 'ogg', part,
    ]);
    return readFileSync(part);
  });
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

async function publishAll(source: string, first: Link, seconds: number) {
  const formats = ['mp3', 'wav', 'aiff', 'flac'] as const;
  const result = await tools.transcode({
    source,
    renditions: formats.map((format) => ({
      format,
      path: `${source}.out.${format}`,
    })),
  });
  const decoded = result.source.decodedDurationS;
  assert.ok(Math.abs(decoded - seconds) < 0.1, `source decodes ${decoded} s`);
  for (const r of result.renditions) {
    // Every output holds the whole chain, to the sample where it can.
    const off = Math.abs(r.durationS - decoded);
    assert.ok(off < 0.002, `${r.format}: ${r.durationS} s`);
    assert.equal(r.channels, first.channels);
    if (r.format !== 'mp3') assert.equal(r.sampleRate, first.rate);
  }
  // The decoded copy of the chain is gone with the run.
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.w64')), []);
}

test('a Vorbis chain from 44.1 kHz stereo to 22.05 kHz mono', async () => {
  const links = [
    { rate: 44_100, channels: 2, seconds: 3 },
    { rate: 22_050, channels: 1, seconds: 4 },
  ];
  const source = chain('vorbis.ogg', ['-c:a', 'libvorbis'], links);
  const walked = await readOggChain(source);
  assert.deepEqual(
    walked?.streams.map((s) => [s.codec, s.sampleRate, s.channels]),
    [['vorbis', 44_100, 2], ['vorbis', 22_050, 1]],
  );
  await publishAll(source, links[0], 7);
});

test('a FLAC-in-Ogg chain from 44.1 kHz stereo to 48 kHz mono', async () => {
  const links = [
    { rate: 44_100, channels: 2, seconds: 3 },
    { rate: 48_000, channels: 1, seconds: 4 },
  ];
  const source = chain('flac.ogg', ['-c:a', 'flac'], links);
  const walked = await readOggChain(source);
  assert.deepEqual(
    walked?.streams.map((s) => [s.codec, s.sampleRate, s.channels]),
    [['flac', 44_100, 2], ['flac', 48_000, 1]],
  );
  await publishAll(source, links[0], 7);
});

test('a chain whose later link has the higher rate is not truncated', async () => {
  // Its last granule (4 s at 48 kHz) read at 22.05 kHz claims 8.7 s.
  const links = [
    { rate: 22_050, channels: 1, seconds: 3 },
    { rate: 48_000, channels: 2, seconds: 4 },
  ];
  const source = chain('up.ogg', ['-c:a', 'libvorbis'], links);
  await publishAll(source, links[0], 7);
});

test('a chain whose links change codec errors with what to do', async () => {
  // ffmpeg 4.1 decoded the Vorbis link alone and published 3 s of 6.
  const vorbis = chain('a.ogg', ['-c:a', 'libvorbis'], [
    { rate: 48_000, channels: 2, seconds: 3 },
  ]);
  const opus = chain('b.ogg', ['-c:a', 'libopus'], [
    { rate: 48_000, channels: 2, seconds: 3 },
  ]);
  const source = join(dir, 'codecs.ogg');
  writeFileSync(source, Buffer.concat([readFileSync(vorbis), readFileSync(opus)]));
  const error = await rejectsWith(
    tools.transcode({
      source,
      renditions: [{ format: 'wav', path: join(dir, 'codecs.wav') }],
    }),
    'undecodable',
  );
  assert.match(error.message, /parts change codec \(vorbis, then opus\)/);
});

test('a file of 30 MB of empty pages is walked to its end', async () => {
  // What it costs (it was 2 s of CPU per 100 MB when each page was an
  // awaited read) is measured by `npm run bench:ogg`, not here.
  const file = join(dir, 'empty-pages.ogg');
  await writeEmptyOggPages(file, 30e6);
  const walked = await readOggChain(file);
  assert.deepEqual(walked?.streams, [{ codec: 'vorbis', sampleRate: 44_100, channels: 2 }]);
});
