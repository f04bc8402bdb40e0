/**
 * Packages the services load through `createRequire` rather than
 * `import` (the ffmpeg and ffprobe installers, redoc's browser bundle).
 * esbuild leaves such calls alone, so its metafile does not name those
 * packages, and a list of the bundles' imports alone would let the
 * container build prune one away unnoticed (deploy/docker/check-externals).
 *
 * A source file that calls `createRequire` is searched for string
 * literals naming a dependency of its own package: `'redoc/bundles/x.js'`
 * in services/gateway names `redoc`, a gateway dependency.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const LITERAL = /(['"`])((?:@[\w.-]+\/)?[\w.-]+)(?:\/[^'"`\s]*)?\1/g;

/** The dependencies of the package a file belongs to. */
async function ownDependencies(file: string): Promise<Set<string>> {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(
        await readFile(path.join(dir, 'package.json'), 'utf8'),
      ) as { dependencies?: Record<string, string> };
      return new Set(Object.keys(manifest.dependencies ?? {}));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (path.dirname(dir) === dir) return new Set();
    }
  }
}

/** Package names the given source files load with createRequire. */
export async function requiredPackages(files: string[]): Promise<string[]> {
  const names = new Set<string>();
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    if (!text.includes('createRequire(')) continue;

    const dependencies = await ownDependencies(file);
    for (const [, , name] of text.matchAll(LITERAL)) {
      if (dependencies.has(name)) names.add(name);
    }
  }
  return [...names].sort();
}
