import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  createMediaTools,
  isMediaError,
  looksLikeAudio,
  type RenditionRequest,
} from './index';
import { withinTolerance } from './verify';

// The shared corpus of real, often broken files (see its README). It lives
// beside the repository; a plain clone elsewhere skips this test.

interface Entry {
  file: string;
  class: 'ok' | 'damaged' | 'truncated' | 'undecodable';
  container: string | null;
  header_duration_reliable: boolean | null;
  decoded_duration_s: number;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const corpusDir = resolve(repoRoot, '../shared/corpus');
const manifestPath = join(corpusDir, 'manifest.json');

const UNDECODABLE_CODES = new Set([
  'undecodable',
  'no_audio',
  'empty_file',
  'too_short',
]);
/** A truncated refusal of a file of which less than one mp3 frame (0.025 s) decodes. */
const LESS_THAN_A_FRAME =
  /^truncated: header says [\d.]+ s, (?:0\.0|under 0\.001|0\.0[01]\d|0\.02[0-4]) s decodable$/;
const LOSSLESS = new Set(['wav', 'aiff', 'flac']);

type Outcome =
  | { ok: true; decodedS: number; renditions: Array<[string, number]> }
  | { ok: false; code: string; message: string };

test('corpus: every class handled as the manifest says', async (t) => {
  if (!existsSync(manifestPath)) {
    t.skip(`corpus not found at ${corpusDir} (it lives beside the repo)`);
    return;
  }
  const entries = JSON.parse(readFileSync(manifestPath, 'utf8')) as Entry[];
  const tools = createMediaTools({ timeoutMs: 60_000 });
  const work = mkdtempSync(join(tmpdir(), 'media-corpus-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));

  let slot = 0;
  async function run(entry: Entry): Promise<Outcome> {
    const dir = join(work, String(slot++));
    const renditions: RenditionRequest[] = [
      { format: 'mp3', path: join(dir + '.mp3') },
    ];
    if (entry.container && LOSSLESS.has(entry.container)) {
      const format = entry.container as RenditionRequest['format'];
      renditions.push({ format, path: `${dir}.${format}` });
    }
    try {
      const result = await tools.transcode({
        source: join(corpusDir, 'audio', entry.file),
        renditions,
        metadata: { Title: entry.file },
      });
      for (const r of result.renditions) rmSync(r.path, { force: true });
      return {
        ok: true,
        decodedS: result.source.decodedDurationS,
        renditions: result.renditions.map((r) => [r.format, r.durationS]),
      };
    } catch (error) {
      if (!isMediaError(error)) throw error;
      return { ok: false, code: error.code, message: error.message };
    }
  }

  const seen: Record<string, Record<string, number>> = {};
  const failures: string[] = [];
  const check = (entry: Entry, cond: boolean, what: string) => {
    if (!cond) failures.push(`${entry.class} ${entry.file}: ${what}`);
  };

  for (const entry of entries) {
    const path = join(corpusDir, 'audio', entry.file);
    const sniff = await looksLikeAudio(path);
    check(entry, sniff.audio, `refused at upload: ${JSON.stringify(sniff)}`);

    try {
      const probe = await tools.probeSource(path);
      if (typeof entry.header_duration_reliable === 'boolean') {
        check(
          entry,
          probe.headerDurationReliable === entry.header_duration_reliable,
          `header reliability ${probe.headerDurationReliable}`,
        );
      }
    } catch (error) {
      check(entry, entry.class === 'undecodable', `probe: ${error}`);
    }

    const outcome = await run(entry);
    const label = outcome.ok ? 'published' : outcome.code;
    seen[entry.class] ??= {};
    seen[entry.class][label] = (seen[entry.class][label] ?? 0) + 1;
    const expected = entry.decoded_duration_s;

    switch (entry.class) {
      case 'ok':
        if (!outcome.ok) {
          check(entry, false, `errored: ${outcome.message}`);
          break;
        }
        check(
          entry,
          withinTolerance(outcome.decodedS, expected),
          `source decodes ${outcome.decodedS} s, manifest ${expected} s`,
        );
        for (const [format, seconds] of outcome.renditions) {
          check(
            entry,
            withinTolerance(seconds, expected),
            `${format} decodes ${seconds} s, manifest ${expected} s`,
          );
        }
        break;
      case 'undecodable':
        // A file cut before its first frame (or within it) decodes to
        // nothing usable, as the manifest counts, and is truncated by its
        // header (SPEC §3).
        check(
          entry,
          !outcome.ok &&
            (UNDECODABLE_CODES.has(outcome.code) ||
              (outcome.code === 'truncated' &&
                LESS_THAN_A_FRAME.test(outcome.message))) &&
            outcome.message.length > 10 &&
            !/0x[0-9a-f]{6,}/.test(outcome.message),
          `expected a readable refusal, got ${JSON.stringify(outcome)}`,
        );
        break;
      case 'truncated':
        check(
          entry,
          !outcome.ok &&
            outcome.code === 'truncated' &&
            /^truncated: header says [\d.]+ s, [\d.]+ s decodable$/.test(
              outcome.message,
            ),
          `expected truncated, got ${JSON.stringify(outcome)}`,
        );
        break;
      case 'damaged': {
        const again = await run(entry);
        const same = outcome.ok
          ? again.ok && again.decodedS === outcome.decodedS
          : !again.ok &&
            again.code === outcome.code &&
            again.message === outcome.message;
        check(entry, same, `differs between runs: ${JSON.stringify(again)}`);
        break;
      }
    }
  }

  t.diagnostic(`corpus outcomes by class: ${JSON.stringify(seen)}`);
  console.log('corpus outcomes by class:', JSON.stringify(seen));
  assert.deepEqual(failures, []);
});
