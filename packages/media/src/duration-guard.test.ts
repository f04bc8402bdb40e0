import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { declaredTooLong, decodedTooLong } from './duration-guard';
import type { SourceProbe } from './probe';

const probe = (headerDurationS: number | null, reliable: boolean) =>
  ({ headerDurationS, headerDurationReliable: reliable }) as SourceProbe;

test('a reliable header past the limit fails before ffmpeg; an estimate does not', () => {
  assert.equal(declaredTooLong([probe(20, true)], undefined), null);
  assert.equal(declaredTooLong([probe(10.4, true)], 10), null);
  assert.equal(declaredTooLong([probe(20, false)], 10), null);
  const err = declaredTooLong([probe(5, true), probe(20, true)], 10);
  assert.equal(err?.code, 'source_too_long');
  assert.match(err?.message ?? '', /^source lasts 20 s, longer than the 10 s /);
});

test('decoded past the limit, or a rendition at its byte cap (ffmpeg -fs)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'duration-guard-'));
  try {
    const file = path.join(dir, 'out.wav');
    await writeFile(file, Buffer.alloc(2000));
    const outputs = (byteCap: number | null) => [{ path: file, byteCap }];

    assert.equal(await decodedTooLong([11], outputs(1000), undefined), null);
    assert.equal(await decodedTooLong([10.2], outputs(5000), 10), null);
    assert.equal(await decodedTooLong([10.2], outputs(null), 10), null);

    const decoded = await decodedTooLong([11], outputs(5000), 10);
    assert.equal(decoded?.code, 'source_too_long');
    assert.match(decoded?.message ?? '', /^source decodes to more than 10 s, /);

    // ffmpeg stops writing at -fs and exits 0: the size tells.
    const capped = await decodedTooLong([10.2], outputs(2000), 10);
    assert.equal(capped?.code, 'source_too_long');
    assert.match(capped?.message ?? '', /^a rendition reached 2000 bytes, the most 10 s /);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
