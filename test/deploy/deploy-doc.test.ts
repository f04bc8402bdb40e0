// docs/deploy.md tells operators to make sites by running the site script
// in a gateway container. That works only while the image holds the
// script and tsx, and the names in the commands are the deployed ones.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { loadBase, ofKind } from './k8s-resources';
import { readText, readYaml, repoPath } from './repo-files';

const doc = readText('docs/deploy.md');
const SCRIPT = 'scripts/create-site.ts';

/** The documented command lines that run the site script. */
const siteCommands = doc
  .replace(/\\\n\s*/g, '')
  .split('\n')
  .filter((line) => line.includes(SCRIPT));

describe('docs/deploy.md, creating sites', () => {
  test('gives a Compose and a Kubernetes command', () => {
    const compose = readYaml('docker-compose.yml') as {
      services: Record<string, unknown>;
    };
    const gateways = ofKind(loadBase(), 'Deployment')
      .map((d) => d.metadata.name)
      .filter((name) => name.endsWith('gateway'));

    const execCompose = siteCommands.find((c) =>
      c.startsWith('docker compose exec '),
    );
    const service = execCompose?.split(' ')[3];
    assert.ok(service && service in compose.services, execCompose);

    const execK8s = siteCommands.find((c) => / exec deploy\//.test(c));
    const target = /exec deploy\/(\S+)/.exec(execK8s ?? '')?.[1];
    assert.ok(target && gateways.includes(target), execK8s);
  });

  test('runs node with tsx, both of which the image holds', () => {
    assert.ok(siteCommands.length >= 2);
    for (const command of siteCommands) {
      assert.match(command, /node --import tsx scripts\/create-site\.ts /);
    }
    assert.ok(fs.existsSync(repoPath(SCRIPT)));

    // npm ci --omit=dev keeps dependencies only.
    const manifest = JSON.parse(readText('package.json')) as {
      dependencies?: Record<string, string>;
    };
    assert.ok(manifest.dependencies?.tsx, 'tsx is a production dependency');

    // The runtime stage copies the build context, minus .dockerignore.
    const ignored = readText('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const hidesScripts = ignored.some((p) => /^\/?scripts(\/|$)/.test(p));
    assert.equal(hidesScripts, false, '.dockerignore keeps scripts/');
  });
});

describe('docs/deploy.md, the Compose file', () => {
  test('names every variable the Compose file reads from the environment', () => {
    // `${NAME:-default}`; `$$NAME` is the container's own, not Compose's.
    const compose = readText('docker-compose.yml');
    const read = [...compose.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]);
    assert.ok(read.length > 0, 'the Compose file reads some');
    const missing = [...new Set(read)].filter((name) => !doc.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });
});
