// The README's CLI walkthrough runs in the checkout (npx finds `ingest`
// there) and leaves files in it: `album/`, `album.csv`, `tracks/`. The
// SDKs' READMEs have their examples saved there too (`@ingest/client`
// resolves only inside the repository). The image's `COPY . .` must not
// take them, nor `git add -A`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readText } from './repo-files';

/** The shell block of the README's CLI walkthrough, comments dropped. */
function walkthrough(): string {
  const readme = readText('README.md');
  const from = readme.indexOf('## Walkthrough with the CLI');
  assert.ok(from >= 0, 'README has its CLI walkthrough');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(from));
  assert.ok(block, 'the walkthrough has a sh block');
  return block[1]
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
}

/** The top-level names the walkthrough writes: folders, files, --out. */
function outputs(script: string): string[] {
  const paths = [
    ...script.matchAll(/mkdir -p (\S+)/g),
    ...script.matchAll(/> *([^\s>&]+)/g),
    ...script.matchAll(/--out (\S+)/g),
  ].map((m) => m[1]);
  return [...new Set(paths.map((p) => p.split('/')[0]))];
}

/** Whether an ignore file has a line for `name` at the top of the tree. */
function ignores(file: string, name: string): boolean {
  return readText(file)
    .split('\n')
    .map((line) => line.trim().replace(/^\//, '').replace(/\/$/, ''))
    .some((pattern) => pattern === name || pattern === `**/${name}`);
}

test('what the CLI walkthrough writes is kept out of git and the image', () => {
  const written = outputs(walkthrough());
  for (const expected of ['album', 'album.csv', 'tracks']) {
    assert.ok(written.includes(expected), `the walkthrough writes ${expected}`);
  }
  for (const name of written) {
    assert.ok(ignores('.dockerignore', name), `.dockerignore leaves out ${name}`);
    assert.ok(ignores('.gitignore', name), `.gitignore leaves out ${name}`);
  }
});

/** The files each SDK README asks to be put in the repository's folder. */
const SDK_EXAMPLE_FILES: [readme: string, names: string[]][] = [
  ['packages/client/README.md', ['publish-one.ts', 'song.wav']],
  ['packages/client-queue/README.md', ['import-one.ts']],
];

test('the SDK examples saved in the checkout are kept out of git and the image', () => {
  for (const [readme, names] of SDK_EXAMPLE_FILES) {
    const text = readText(readme);
    for (const name of names) {
      assert.ok(text.includes(`\`${name}\``), `${readme} names ${name}`);
      assert.ok(ignores('.dockerignore', name), `.dockerignore leaves out ${name}`);
      assert.ok(ignores('.gitignore', name), `.gitignore leaves out ${name}`);
    }
  }
});
