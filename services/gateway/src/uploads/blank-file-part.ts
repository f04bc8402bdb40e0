import { Readable } from 'node:stream';

/**
 * A multipart `file` part with no file name and no bytes is what an HTML
 * form sends for a file input left empty (PHP reads it as no file,
 * UPLOAD_ERR_NO_FILE). As with any blank value, it counts as absent, so a
 * form that also has `url` fetches that instead of being refused.
 *
 * Resolves to undefined for such a part; otherwise to a stream of all
 * its bytes, the first one read ahead included.
 */
export async function unlessBlankFile(
  stream: Readable,
  filename: string,
): Promise<Readable | undefined> {
  if (filename !== '') return stream;
  const chunks = stream[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return undefined;
  return Readable.from(
    (async function* () {
      yield first.value;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        yield next.value;
      }
    })(),
    { objectMode: false },
  );
}
