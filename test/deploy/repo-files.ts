import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '@ingest/config';
import { parseAllDocuments } from 'yaml';

/** The repository root, whatever the working directory of the run. */
export const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../..',
);

export function repoPath(...parts: string[]): string {
  return path.join(root, ...parts);
}

export function readText(...parts: string[]): string {
  return fs.readFileSync(repoPath(...parts), 'utf8');
}

/** Every document of a YAML file; a syntax error fails with the file name. */
export function readYamlDocuments(...parts: string[]): unknown[] {
  const file = path.join(...parts);
  const docs = parseAllDocuments(readText(...parts), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  return list
    .map((doc) => {
      if (doc.errors.length > 0) {
        throw new Error(`${file}: ${doc.errors[0].message}`);
      }
      return doc.toJS() as unknown;
    })
    .filter((value) => value !== null && value !== undefined);
}

export function readYaml(...parts: string[]): unknown {
  const [doc] = readYamlDocuments(...parts);
  return doc;
}

/**
 * The TypeScript of every package's and service's `src/`, tests left
 * out, each by its path from the repository root.
 */
export function sourceTexts(): { file: string; text: string }[] {
  return ['packages', 'services'].flatMap((top) =>
    fs
      .readdirSync(repoPath(top), { recursive: true, encoding: 'utf8' })
      .filter((file) => /^[^/]+\/src\/.*(?<!\.test)\.ts$/.test(file))
      .map((file) => ({
        file: `${top}/${file}`,
        text: readText(top, file),
      })),
  );
}

/**
 * The environment variables packages/config reads, so deploy files and
 * docs are checked against the code.
 */
export function configVariables(): string[] {
  return [...CONFIG_VARIABLES];
}
