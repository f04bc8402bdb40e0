import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { readText, readYaml } from './repo-files';
import { requireTool, run } from './tools';

const dir = 'deploy/prometheus';

function promtool(...args: string[]) {
  const result = run(requireTool('promtool', 'prometheus'), args);
  assert.equal(result.status, 0, `promtool ${args.join(' ')}:\n${result.output}`);
  return result.output;
}

interface Panel {
  title: string;
  type: string;
  id: number;
  datasource?: { uid?: string };
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(
  readText('deploy/grafana/dashboards/catalog-ingest.json'),
) as { uid: string; panels: Panel[]; templating: { list: { name: string }[] } };

describe('Prometheus and Grafana files', () => {
  test('promtool check config', () => {
    promtool('check', 'config', `${dir}/prometheus.yml`);
  });

  test('promtool check rules', () => {
    promtool('check', 'rules', `${dir}/alerts.yml`);
  });

  test('promtool test rules: every alert fires on its input', () => {
    const output = promtool('test', 'rules', `${dir}/alerts.test.yml`);
    assert.match(output, /SUCCESS/);

    // Each alert has at least one test that expects it to fire.
    const rules = readYaml(dir, 'alerts.yml') as {
      groups: { rules: { alert?: string }[] }[];
    };
    const tests = readYaml(dir, 'alerts.test.yml') as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts: [] }[] }[];
    };
    const fired = new Set(
      tests.tests
        .flatMap((t) => t.alert_rule_test ?? [])
        .filter((t) => t.exp_alerts.length > 0)
        .map((t) => t.alertname),
    );
    const alerts = rules.groups.flatMap((g) =>
      g.rules.flatMap((r) => (r.alert ? [r.alert] : [])),
    );
    assert.deepEqual(alerts.filter((a) => !fired.has(a)), []);
  });

  test('the scrape config has a job per service', () => {
    const config = readYaml(dir, 'prometheus.yml') as {
      scrape_configs: { job_name: string }[];
    };
    const jobs = config.scrape_configs.map((s) => s.job_name);
    for (const job of ['gateway', 'transcoder', 'notifier']) {
      assert.ok(jobs.includes(job), `no scrape job ${job}`);
    }
  });

  test('the dashboard is well formed', () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      assert.equal(panel.datasource?.uid, '${datasource}', panel.title);
      assert.ok(panel.targets?.length, `${panel.title} has no query`);
    }
  });

  test('every dashboard query is valid PromQL (promtool)', () => {
    // Grafana's variables replaced by values PromQL accepts, then each
    // query checked as a recording rule.
    const rules = dashboard.panels
      .flatMap((p) => p.targets ?? [])
      .map((t, i) => ({
        record: `dashboard:query_${i}`,
        expr: t.expr
          .replaceAll('$__rate_interval', '5m')
          .replace(/\$(queue|format|route|namespace)\b/g, '.*'),
      }));
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-dash-'));
    try {
      const file = path.join(scratch, 'dashboard-rules.yml');
      fs.writeFileSync(file, stringify({ groups: [{ name: 'd', rules }] }));
      promtool('check', 'rules', file);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('every dashboard query keeps to the chosen namespace', () => {
    // Alerts are per namespace; one Prometheus may scrape several
    // environments, and the dashboard must not add them up unasked.
    const variable = dashboard.templating.list.find(
      (v) => v.name === 'namespace',
    );
    assert.ok(variable, 'a namespace variable');
    const unscoped = dashboard.panels
      .flatMap((p) => p.targets ?? [])
      .flatMap((t) =>
        [...t.expr.matchAll(/\b(ingest_[a-z_]+|up)\b(\{[^}]*\})?/g)]
          .filter((m) => !(m[2] ?? '').includes('namespace=~"$namespace"'))
          .map((m) => `${m[0]} in ${t.expr}`),
      );
    assert.deepEqual(unscoped, []);
  });

  test('Grafana provisioning points at the mounted dashboards', () => {
    const provider = readYaml(
      'deploy/grafana/provisioning/dashboards/catalog-ingest.yml',
    ) as { providers: { options: { path: string } }[] };
    const compose = readText('docker-compose.yml');
    const mount = `./deploy/grafana/dashboards:${provider.providers[0].options.path}`;
    assert.ok(compose.includes(mount), `compose mounts ${mount}`);
  });
});
