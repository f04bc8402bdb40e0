import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { createMediaTools, readTags } from './index';
import { rejectsWith, useFixtures } from './test-fixtures';
import { ARGV_LIMITS } from './transcode-args';

// Tags ride as ffmpeg arguments: real ffmpeg at Linux's argv limits.

const tools = createMediaTools();
const bed = useFixtures();
const { out } = bed;

test('tags up to the argv limits are written; beyond them, a reason', async () => {
  // TITLE= is the longest key Title gets (flac); with its NUL the
  // argument is exactly Linux's 128 KiB limit for one argument.
  const fits = 'x'.repeat(ARGV_LIMITS.argBytes - 1 - 'TITLE='.length);
  const result = await tools.transcode({
    source: bed.f.wav16,
    metadata: { Title: fits },
    renditions: [
      { format: 'mp3', path: out('big.mp3') },
      { format: 'flac', path: out('big.flac') },
    ],
  });
  assert.equal(result.renditions.length, 2);
  assert.equal((await readTags(out('big.flac'))).fields.Title, fits);

  const over = await rejectsWith(
    tools.transcode({
      source: bed.f.wav16,
      metadata: { Title: `${fits}y` },
      renditions: [{ format: 'flac', path: out('over.flac') }],
    }),
    'tags_too_large',
  );
  assert.match(over.message, /the largest \(Title\) 128 KiB/);

  // Eight 60 KiB fields in three renditions: ~1.4 MiB of argv, under the
  // total; the same in four renditions is over it.
  const fields = ['Title', 'Artist', 'Album', 'Composer', 'Genre',
    'Publisher', 'Label', 'Catalog'];
  const meta = Object.fromEntries(
    fields.map((name, i) => [name, 'abcdefgh'[i].repeat(60 * 1024)]),
  );
  const three = await tools.transcode({
    source: bed.f.wav16,
    metadata: meta,
    renditions: [
      { format: 'mp3', path: out('many.mp3') },
      { format: 'aiff', path: out('many.aiff') },
      { format: 'flac', path: out('many.flac') },
    ],
  });
  assert.equal(three.renditions.length, 3);
  const lengths = (fields: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v?.length]));
  assert.deepEqual(
    lengths((await readTags(out('many.aiff'))).fields),
    lengths(meta),
  );

  const four = await rejectsWith(
    tools.transcode({
      source: bed.f.wav16,
      metadata: { ...meta, Mood: 'm'.repeat(60 * 1024) },
      renditions: ['mp3', 'wav', 'aiff', 'flac'].map((format) => ({
        format: format as 'mp3',
        path: out(`four.${format}`),
      })),
    }),
    'tags_too_large',
  );
  assert.match(four.message, /540 KiB in all, .*into 4 rendition/);
  assert.equal(existsSync(out('four.mp3')), false);
});
