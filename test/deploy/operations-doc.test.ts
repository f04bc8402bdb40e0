import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configVariables, readText, readYaml } from './repo-files';

const doc = readText('docs/operations.md');

describe('docs/operations.md', () => {
  test('documents every setting packages/config reads', () => {
    const missing = configVariables().filter(
      (name) => !doc.includes(`| \`${name}\` |`),
    );
    assert.deepEqual(missing, []);
  });

  test('explains every alert', () => {
    const rules = readYaml('deploy/prometheus/alerts.yml') as {
      groups: { rules: { alert?: string }[] }[];
    };
    const alerts = rules.groups.flatMap((g) =>
      g.rules.flatMap((r) => (r.alert ? [r.alert] : [])),
    );
    assert.ok(alerts.length >= 5);
    const missing = alerts.filter((a) => !doc.includes(`### ${a} (`));
    assert.deepEqual(missing, []);
  });
});
