import type { IAudioMetadata } from 'music-metadata';

import { fieldOfTagKey } from './custom-tag-keys';

/**
 * A file's tags as its tag types store them (music-metadata's `native`),
 * with ID3v2.2/2.3 frames taken whole from `readId3TextFrames` when they
 * could be read (music-metadata splits them at `/`).
 */
export interface NativeTags {
  /** Tag types in file order, each with its values by upper-cased id. */
  types: Array<{ type: string; values: Map<string, string[]> }>;
}

/** ID3 versions whose frames music-metadata splits at `/`. */
const SPLIT_ID3 = new Set(['ID3v2.2', 'ID3v2.3']);

type Entry = { id: string; value: unknown };

/** Each tag type's entries, the split ID3 ones replaced by whole frames. */
function entriesByType(
  metadata: IAudioMetadata,
  id3Frames: Map<string, string[]> | null,
): Array<[type: string, entries: Entry[]]> {
  return Object.entries(metadata.native).map(([type, tags]) => {
    if (!id3Frames || !SPLIT_ID3.has(type)) return [type, tags];
    const whole = [...id3Frames].flatMap(([id, texts]) =>
      texts.map((value) => ({ id, value })),
    );
    return [type, whole];
  });
}

export function nativeTags(
  metadata: IAudioMetadata,
  id3Frames: Map<string, string[]> | null,
): NativeTags {
  const types: NativeTags['types'] = [];
  for (const [type, entries] of entriesByType(metadata, id3Frames)) {
    const values = new Map<string, string[]>();
    for (const tag of entries) {
      const text = textOf(tag.value);
      if (!text) continue;
      const key = tag.id.toUpperCase();
      values.set(key, [...(values.get(key) ?? []), text]);
    }
    types.push({ type, values });
  }
  return { types };
}

export type NativeLookup = (...ids: string[]) => string | undefined;

/**
 * Native values by id: the first id found wins, and the first tag type
 * holding it gives all its values, joined by "; " (two ARTIST comments,
 * a v2.4 frame of NUL-separated values).
 */
export function nativeLookup(tags: NativeTags): NativeLookup {
  return (...ids) => {
    for (const id of ids) {
      for (const { values } of tags.types) {
        const found = joined(values.get(id.toUpperCase()));
        if (found) return found;
      }
    }
    return undefined;
  };
}

/**
 * Free-form tags by the field name they were written for (escapes
 * decoded, custom-tag-keys.ts): ID3 TXXX descriptions, Vorbis and APE
 * names (upper-cased by music-metadata), iTunes `----` atoms. The first
 * tag type holding a name wins; several values are joined by "; ".
 */
export function freeFormTags(
  metadata: IAudioMetadata,
  id3Frames: Map<string, string[]> | null,
): Map<string, string> {
  const found = new Map<string, string>();
  for (const [type, entries] of entriesByType(metadata, id3Frames)) {
    const own = new Map<string, string[]>();
    for (const tag of entries) {
      const name = freeFormName(type, tag.id);
      const text = textOf(tag.value);
      if (name === null || !text || found.has(name)) continue;
      own.set(name, [...(own.get(name) ?? []), text]);
    }
    for (const [name, texts] of own) found.set(name, joined(texts)!);
  }
  return found;
}

const ITUNES_FREE_FORM = '----:com.apple.iTunes:';

function freeFormName(type: string, id: string): string | null {
  let name: string | null = null;
  if (type.startsWith('ID3v2') && id.startsWith('TXXX:')) name = id.slice(5);
  if (type === 'vorbis' || type === 'APEv2') name = id;
  if (type === 'iTunes' && id.startsWith(ITUNES_FREE_FORM)) {
    name = id.slice(ITUNES_FREE_FORM.length);
  }
  return name ? fieldOfTagKey(name) : null;
}

function textOf(value: unknown): string | undefined {
  // An ID3v2.4 frame's values are NUL-separated; music-metadata splits
  // some frames (TPE1, TALB) but leaves others (TIT2) in one string.
  if (typeof value === 'string') return joined(value.split('\u0000'));
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return joined(value.map(textOf).filter(isText));
  if (value && typeof value === 'object' && 'text' in value) {
    return textOf((value as { text: unknown }).text);
  }
  return undefined;
}

function isText(value: string | undefined): value is string {
  return value !== undefined;
}

export function joined(values: string[] | undefined): string | undefined {
  const clean = (values ?? []).map((v) => v.trim()).filter(Boolean);
  return clean.length > 0 ? clean.join('; ') : undefined;
}
