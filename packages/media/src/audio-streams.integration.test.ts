import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { createMediaTools } from './index';
import { byFormat, ffmpeg, useFixtures } from './test-fixtures';

// Sources with more than one audio stream: the first is the one decoded,
// and it is held against its own declared length, not the container's
// (which is that of its longest stream).

const tools = createMediaTools();
const bed = useFixtures();
const { out } = bed;

/** Two sine streams of `first` and `second` seconds in one file. */
function twoStreams(name: string, first: number, second: number): string {
  const path = join(bed.f.dir, name);
  ffmpeg([
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${first}`,
    '-f', 'lavfi', '-i', `sine=frequency=660:duration=${second}`,
    '-map', '0', '-map', '1',
    '-c:a', name.endsWith('.ogg') ? 'libvorbis' : 'aac',
    path,
  ]);
  return path;
}

test('a short first stream beside a longer one is whole, not truncated', async () => {
  for (const name of ['short-first.ogg', 'short-first.m4a']) {
    const source = twoStreams(name, 3, 6);
    const result = await tools.transcode({
      source,
      renditions: [{ format: 'mp3', path: out(`${name}.mp3`) }],
    });
    const mp3 = byFormat(result, 'mp3');
    assert.ok(Math.abs(mp3.durationS - 3) < 0.1, `${name}: ${mp3.durationS} s`);
  }
});

test('a long first stream beside a shorter one makes the long track', async () => {
  const source = twoStreams('long-first.ogg', 6, 3);
  const result = await tools.transcode({
    source,
    renditions: [{ format: 'mp3', path: out('long-first.mp3') }],
  });
  const mp3 = byFormat(result, 'mp3');
  assert.ok(Math.abs(mp3.durationS - 6) < 0.1, `${mp3.durationS} s`);
});
