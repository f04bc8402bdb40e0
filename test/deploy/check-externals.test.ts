// The container build's last step (deploy/docker/check-externals.mjs)
// fails when a package the bundles load is not installed where dist/
// finds it; dist/externals.json, its list, names the packages loaded with
// createRequire as well as the imported ones.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  DIST_DIR,
  ensureServicesBuilt,
  requiredPackages,
} from '@ingest/build';
import { repoPath } from './repo-files';

const CHECK = 'deploy/docker/check-externals.mjs';

let scratch: string;
before(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-externals-'));
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function write(file: string, text: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** An app folder laid out like the image, with these packages installed. */
function imageLike(name: string, externals: string[], installed: string[]) {
  const app = path.join(scratch, name);
  fs.mkdirSync(path.join(app, 'deploy/docker'), { recursive: true });
  fs.copyFileSync(repoPath(CHECK), path.join(app, CHECK));
  write(path.join(app, 'dist/externals.json'), JSON.stringify(externals));
  for (const pkg of installed) {
    write(path.join(app, pkg, 'package.json'), '{"main": "index.js"}');
    write(path.join(app, pkg, 'index.js'), 'module.exports = {};\n');
  }
  return app;
}

function check(app: string) {
  const result = spawnSync(process.execPath, [CHECK], {
    cwd: app,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('container externals check', () => {
  test('passes when every listed package is installed', () => {
    const app = imageLike('all', ['a', '@s/b'], [
      'node_modules/a',
      'node_modules/@s/b',
    ]);
    assert.equal(check(app).status, 0, check(app).output);
  });

  test('fails naming a package that is missing', () => {
    const app = imageLike('missing', ['a', 'redoc'], ['node_modules/a']);
    const result = check(app);
    assert.equal(result.status, 1);
    assert.match(result.output, /missing packages: redoc/);
  });

  test('looks from dist/, not from the folder of the script', () => {
    // Found from deploy/docker/ only: a bundle in dist/ would not find it.
    const hidden = imageLike('hidden', ['a'], ['deploy/node_modules/a']);
    assert.equal(check(hidden).status, 1, check(hidden).output);
    // Found from dist/ only.
    const beside = imageLike('beside', ['a'], ['dist/node_modules/a']);
    assert.equal(check(beside).status, 0, check(beside).output);
  });

  test('createRequire literals naming a dependency are found', async () => {
    const pkg = path.join(scratch, 'pkg');
    write(path.join(pkg, 'package.json'), JSON.stringify({
      dependencies: { tool: '*', '@vendor/kit': '*', other: '*' },
    }));
    write(path.join(pkg, 'src/uses.ts'), [
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
      "require('tool');",
      "require.resolve('@vendor/kit/dist/x.js');",
      "const label = 'not-a-dependency';",
    ].join('\n'));
    // `other` is named in a file that never calls createRequire.
    write(path.join(pkg, 'src/plain.ts'), "const name = 'other';\n");

    const found = await requiredPackages([
      path.join(pkg, 'src/uses.ts'),
      path.join(pkg, 'src/plain.ts'),
    ]);
    assert.deepEqual(found, ['@vendor/kit', 'tool']);
  });

  test('the build lists the createRequire packages, and they are here', async () => {
    await ensureServicesBuilt();
    const listed = JSON.parse(
      fs.readFileSync(path.join(DIST_DIR, 'externals.json'), 'utf8'),
    ) as string[];
    for (const name of [
      '@ffmpeg-installer/ffmpeg',
      '@ffprobe-installer/ffprobe',
      'redoc',
      'express',
    ]) {
      assert.ok(listed.includes(name), `externals.json lacks ${name}`);
    }
    const result = spawnSync(process.execPath, [repoPath(CHECK)], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });
});
