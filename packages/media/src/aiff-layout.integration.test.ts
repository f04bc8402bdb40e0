import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { defaultBinaryPaths } from './binary-paths';
import { createMediaTools } from './index';
import { ffmpeg } from './test-fixtures';

// An AIFF rendition keeps the source's channels, in their order, and
// names the source's speaker layout (aiff-layout.ts): ffmpeg 4.1 alone
// labelled a 5.0 source 5.0(side) and quad quad(side).

const tools = createMediaTools();
const { ffprobePath } = defaultBinaryPaths();
const dir = mkdtempSync(join(tmpdir(), 'aiff-layout-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function layoutOf(path: string): string {
  const run = spawnSync(ffprobePath, [
    '-v', 'error', '-show_entries', 'stream=channels,channel_layout',
    '-of', 'json', path,
  ]);
  const [stream] = JSON.parse(run.stdout.toString()).streams;
  return `${stream.channels} ${stream.channel_layout}`;
}

/** The samples of one channel, as 16-bit PCM. */
function channel(path: string, index: number): Buffer {
  return ffmpeg([
    '-i', path, '-af', `pan=mono|c0=c${index}`, '-f', 's16le', '-',
  ]).stdout;
}

const layouts: Array<[string, number]> = [
  ['5.0', 5],
  ['quad', 4],
  ['5.1', 6],
  ['7.1', 8],
];

for (const [layout, channels] of layouts) {
  test(`a ${layout} source makes a ${layout} AIFF, channels in order`, async () => {
    // Each channel its own tone, so a swap or a lost channel shows.
    const source = join(dir, `${layout}.wav`);
    const inputs = Array.from({ length: channels }, (_, i) => [
      '-f', 'lavfi', '-i', `sine=frequency=${300 + 100 * i}:duration=1`,
    ]).flat();
    const joins = Array.from({ length: channels }, (_, i) => `[${i}:a]`);
    ffmpeg([
      ...inputs,
      '-filter_complex',
      `${joins.join('')}join=inputs=${channels}:channel_layout=${layout}`,
      '-c:a', 'pcm_s16le', source,
    ]);
    assert.equal(layoutOf(source), `${channels} ${layout}`);

    const path = join(dir, `${layout}.aiff`);
    const result = await tools.transcode({
      source,
      renditions: [{ format: 'aiff', path }],
    });
    assert.equal(result.renditions[0].channels, channels);
    assert.equal(layoutOf(path), `${channels} ${layout}`);
    for (let i = 0; i < channels; i++) {
      assert.ok(channel(path, i).equals(channel(source, i)), `channel ${i}`);
    }
  });
}
