import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QUEUE_POLICIES, type QueueName } from '@ingest/queue';
import { configVariables, readText, readYaml } from './repo-files';

const doc = readText('docs/operations.md');

const rules = readYaml('deploy/prometheus/alerts.yml') as {
  groups: { rules: { alert?: string; expr: string }[] }[];
};
const alertRules = rules.groups.flatMap((g) => g.rules.filter((r) => r.alert));

const queues = Object.keys(QUEUE_POLICIES) as QueueName[];

/** The queue names a run of text names in backticks (`webhook`, …). */
function queuesIn(text: string): QueueName[] {
  return [...text.matchAll(/`([a-z]+)`/g)]
    .map((m) => m[1] as QueueName)
    .filter((name) => queues.includes(name));
}

/** Days a BullMQ keep rule keeps a job by its age (none: NaN). */
function keptDays(keep: object): number {
  return ('age' in keep ? Number(keep.age) : NaN) / 86_400;
}

/** The text of the page from `start` to the first `end` after it. */
function between(start: string, end: string): string {
  const from = doc.indexOf(start);
  assert.ok(from >= 0, `the page says "${start}"`);
  return doc.slice(from + start.length, doc.indexOf(end, from + start.length));
}

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

  test('gives each queue the lock and the keeping QUEUE_POLICIES give it', () => {
    // "(`transcode`: `INGEST_TRANSCODE_LOCK`; `webhook` …: 60 s; …)"
    const locks = new Map<QueueName, string>();
    for (const group of between("A pause longer than a job's lock (", ')').split(';')) {
      const [names, value] = group.split(/:\s+/);
      for (const name of queuesIn(names)) locks.set(name, value?.trim());
    }
    assert.deepEqual([...locks.keys()].sort(), [...queues].sort());
    for (const [name, value] of locks) {
      // The transcoders open their worker with the setting instead.
      const expected =
        name === 'transcode'
          ? '`INGEST_TRANSCODE_LOCK`'
          : `${QUEUE_POLICIES[name].lockDurationMs / 1000} s`;
      assert.equal(value, expected, `the lock of ${name}`);
    }

    // "`transcode` 1 / 7 days, …, `completion`, `webhook` and `email` 30 / 30"
    const row = between('| Finished queue jobs', '\n');
    const kept = new Map<QueueName, number[]>();
    for (const m of row.matchAll(/((?:`[a-z]+`(?:, | and )?)+) (\d+) \/ (\d+)/g)) {
      for (const name of queuesIn(m[1])) kept.set(name, [Number(m[2]), Number(m[3])]);
    }
    assert.deepEqual([...kept.keys()].sort(), [...queues].sort());
    for (const [name, days] of kept) {
      const { completed, failed } = QUEUE_POLICIES[name].kept;
      assert.deepEqual(days, [keptDays(completed), keptDays(failed)], name);
    }
  });
});
