import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Rendition, Track } from './domain';
import type { OutputFormat } from './formats';
import { effectOf, sameMeta } from './update-order';

function rendition(format: OutputFormat, updateId?: number): Rendition {
  return {
    format,
    storageKey: `k-${format}`,
    bytes: 1,
    sha256: 'x',
    duration: 1,
    sampleRate: 44_100,
    channels: 2,
    codec: format,
    ...(updateId ? { updateId } : {}),
  };
}

const track = (
  writers: Partial<Record<OutputFormat, number>>,
  meta: Track['meta'] = {},
  metaVersions?: Track['metaVersions'],
): Pick<Track, 'renditions' | 'meta' | 'metaVersions'> => ({
  renditions: Object.fromEntries(
    Object.entries(writers).map(([f, id]) => [
      f,
      rendition(f as OutputFormat, id),
    ]),
  ),
  meta,
  metaVersions,
});

test('an update owns the formats no newer update has written', () => {
  const effect = effectOf(track({ mp3: 7, wav: 3, flac: 0 }), {
    id: 5,
    formats: ['mp3', 'wav', 'flac', 'aiff'],
  });
  assert.deepEqual(effect.owned, ['wav', 'flac', 'aiff']);
  assert.deepEqual(effect.superseded, ['mp3']);
});

test('a re-run of an applied update still owns its formats', () => {
  const effect = effectOf(track({ mp3: 5 }), { id: 5, formats: ['mp3'] });
  assert.deepEqual(effect.owned, ['mp3']);
});

test('meta merges in update order, whatever order updates apply', () => {
  const base = track({}, { Title: 'Base', Artist: 'Base', Genre: 'Jazz' });
  const first = { id: 1, formats: [], meta: { Artist: 'One', Genre: '' } };
  const second = { id: 2, formats: [], meta: { Artist: 'Two', Album: 'B' } };

  const inOrder = effectOf({ ...base, ...effectOf(base, first) }, second);
  const late = effectOf({ ...base, ...effectOf(base, second) }, first);

  const expected = { Title: 'Base', Artist: 'Two', Album: 'B' };
  assert.deepEqual(inOrder.meta, expected);
  assert.deepEqual(late.meta, expected);
  assert.deepEqual(late.metaVersions, { Artist: 2, Album: 2, Genre: 1 });
});

test('a field a newer update cleared stays cleared', () => {
  const cleared = track({}, {}, { Album: 4 });
  const effect = effectOf(cleared, {
    id: 3,
    formats: [],
    meta: { Album: 'Old' },
  });
  assert.deepEqual(effect.meta, {});
});

test('sameMeta compares fields and values, not order', () => {
  assert.ok(sameMeta({ a: '1', b: '2' }, { b: '2', a: '1' }));
  assert.equal(sameMeta({ a: '1' }, { a: '1', b: '2' }), false);
  assert.equal(sameMeta({ a: '1', c: '' }, { a: '1', b: '' }), false);
});
