import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EncodingSettings } from './encoding-policy';
import type { SourceProbe } from './probe';
import { renditionBudget } from './quota-guard';
import { renditionByteCap } from './source-limits';

const wav: EncodingSettings = {
  format: 'wav',
  codec: 'pcm_s16le',
  sampleRate: 8000,
  channels: 1,
  bitDepth: 16,
  bitrate: null,
};

const probe = (seconds: number | null, reliable: boolean) =>
  ({ headerDurationS: seconds, headerDurationReliable: reliable }) as SourceProbe;

/** What `renditionBudget` asked the budget for, and its answer. */
async function asked(
  probes: SourceProbe[],
  maxDurationS?: number,
): Promise<{ need: number; answer: number | undefined }> {
  let need = NaN;
  const answer = await renditionBudget(
    {
      maxDurationS,
      budget: async (bytes) => {
        need = bytes;
        return 1234;
      },
    },
    probes.map((p) => ({ settings: wav, probe: p })),
  );
  return { need, answer };
}

test('asks for the most the renditions take for the declared length', async () => {
  const { need, answer } = await asked([probe(100, true), probe(10, true)], 4 * 3600);
  assert.equal(need, renditionByteCap(wav, 101) + renditionByteCap(wav, 11));
  assert.equal(answer, 1234);
});

test('a length only estimated is bounded by the longest allowed, or not at all', async () => {
  assert.equal((await asked([probe(100, false)], 600)).need, renditionByteCap(wav, 601));
  assert.equal((await asked([probe(null, false)])).need, Infinity);
});

test('without a budget, maxBytes as given', async () => {
  const sized = [{ settings: wav, probe: probe(1, true) }];
  assert.equal(await renditionBudget({ maxBytes: 99 }, sized), 99);
  assert.equal(await renditionBudget({}, sized), undefined);
});
