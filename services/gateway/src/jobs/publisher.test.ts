import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Upload } from '@ingest/core';
import { longestFirst } from './publisher';

/** An upload whose sources declare these lengths (undefined: none). */
function upload(id: number, ...lengths: Array<number | undefined>): Upload {
  const sources = Object.fromEntries(
    lengths.map((seconds, i) => [
      ['wav', 'mp3', 'flac'][i],
      {
        format: 'wav',
        storageKey: `k${id}-${i}`,
        filename: '',
        bytes: 1,
        sha256: '',
        seconds,
      },
    ]),
  );
  return { id, sources } as unknown as Upload;
}

test('longest source first; ties keep upload order', () => {
  const uploads = [
    upload(1, 60),
    upload(2, 300),
    upload(3, 60),
    upload(4, 120, 200),
  ];
  assert.deepEqual(longestFirst([1, 2, 3, 4], uploads), [2, 4, 1, 3]);
});

test('an upload of unknown length goes first, not last', () => {
  // A FLAC written to a pipe declares no length: it may be the longest.
  const uploads = [
    upload(1, 4),
    upload(2, undefined),
    upload(3, 10),
    upload(4, 0),
  ];
  assert.deepEqual(longestFirst([1, 2, 3, 4], uploads), [2, 4, 3, 1]);
});

test('ids without a loaded upload are unknown too', () => {
  assert.deepEqual(longestFirst([7, 8], [upload(8, 5)]), [7, 8]);
});
