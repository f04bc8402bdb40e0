/** The parameters read as lists, whose bracket forms are checked. */
export const LISTS: ReadonlySet<string> = new Set(['formats']);

/**
 * The items one entry of a list parameter holds. Such an entry may be
 * comma-separated text, as the plain value may (`formats[]=mp3,wav` is
 * `formats=mp3,wav`), and a blank item counts as absent, as in
 * `formats=mp3,`: so PHP's `formats[0]=…`, a JSON array and the plain
 * key repeated mean the same for the same items (SPEC §1). An entry of
 * another parameter is kept as it came.
 */
export function listItems(name: string, entry: string): string[] {
  if (!LISTS.has(name)) return [entry];
  return entry.split(',').map((item) => item.trim()).filter(Boolean);
}
