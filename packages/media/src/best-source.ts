/**
 * Which of an upload's sources the renditions without a source of their
 * own are made from, and every other source's length is checked against:
 * the one holding the most of the recording. Pure, from the probed facts.
 */
import { losslessBitDepth, type PolicyInput } from './encoding-policy';

/**
 * Higher is better: lossless before lossy; among lossless, the higher
 * sample rate, then the bit depth the renditions would keep (float and
 * 32-bit integer count as 24, as the bit-depth policy makes them), then
 * more channels. A lossy source only beats one with no audio.
 */
function rankOf(source: PolicyInput | null): number[] {
  if (!source) return [0];
  if (source.sampleKind === 'lossy') return [1];
  return [2, source.sampleRate, losslessBitDepth(source), source.channels];
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * The index of the best source; on a tie the earlier one, so the caller
 * orders them by its own preference. `null` is a source without audio.
 */
export function bestSource(sources: Array<PolicyInput | null>): number {
  let best = 0;
  for (let i = 1; i < sources.length; i++) {
    if (compareRanks(rankOf(sources[i]), rankOf(sources[best])) > 0) best = i;
  }
  return best;
}
