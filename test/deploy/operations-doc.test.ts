import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configVariables, readText, readYaml } from './repo-files';

const doc = readText('docs/operations.md');

const rules = readYaml('deploy/prometheus/alerts.yml') as {
  groups: { rules: { alert?: string; expr: string }[] }[];
};
const alertRules = rules.groups.flatMap((g) => g.rules.filter((r) => r.alert));

describe('docs/operations.md', () => {
  test('documents every setting packages/config reads', () => {
    const missing = configVariables().filter(
      (name) => !doc.includes(`| \`${name}\` |`),
    );
    assert.deepEqual(missing, []);
  });

  test('explains every alert', () => {
    const alerts = alertRules.map((r) => r.alert as string);
    assert.ok(alerts.length >= 5);
    const missing = alerts.filter((a) => !doc.includes(`### ${a} (`));
    assert.deepEqual(missing, []);
  });

  test('what the page says to alert on, alerts.yml alerts on', () => {
    // "Alert on `ingest_x == 0` ..." is advice an operator reads as
    // covered by the shipped rules.
    const advised = [...doc.matchAll(/Alert on\s+`([^`]+)`/g)].flatMap(
      (m) => m[1].match(/\bingest_[a-z_]+/g) ?? [],
    );
    assert.ok(advised.length > 0, 'the page advises some alert');
    const uncovered = advised.filter(
      (metric) => !alertRules.some((r) => r.expr.includes(metric)),
    );
    assert.deepEqual(uncovered, []);
  });
});
