import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { parseDuration } from '@ingest/config';
import {
  baseDir,
  kustomizationResources,
  loadBase,
  ofKind,
  preStopMs,
  selects,
  type Resource,
} from './k8s-resources';
import { schemaErrors } from './kubernetes-schemas';
import { configVariables, readYaml, repoPath } from './repo-files';
import { policyErrors } from './workload-policy';

const all = loadBase();
const deployments = ofKind(all, 'Deployment');
const services = ofKind(all, 'Service');
const [config] = ofKind(all, 'ConfigMap');
// The Secret the pods read is the operator's; this file shows its keys.
const secret = readYaml('k8s/examples/secret.yaml') as Resource;

const podSpec = (d: Resource) => d.spec.template.spec;
const containerOf = (d: Resource) => podSpec(d).containers[0];

describe('k8s base manifests', () => {
  test('every document validates against the schema of its kind', () => {
    const examples = [{ file: 'k8s/examples/secret.yaml', resource: secret }];
    const problems = [...all, ...examples].flatMap(({ file, resource }) =>
      schemaErrors(resource).map(
        (e) => `${file} ${resource.kind}/${resource.metadata?.name}: ${e}`,
      ),
    );
    assert.deepEqual(problems, []);
  });

  test('has the three services, their Services and budgets', () => {
    const names = (kind: string) =>
      ofKind(all, kind).map((r) => r.metadata.name).sort();
    const expected = ['ingest-gateway', 'ingest-notifier', 'ingest-transcoder'];
    assert.deepEqual(names('Deployment'), expected);
    assert.deepEqual(names('Service'), expected);
    assert.deepEqual(names('PodDisruptionBudget'), expected);
    assert.equal(ofKind(all, 'ServiceMonitor').length, 1);
    assert.equal(ofKind(all, 'ScaledObject').length, 1);
  });

  test('Deployments follow the project policy (ajv)', () => {
    const problems = deployments.flatMap((d) =>
      policyErrors(d).map((e) => `${d.metadata.name}: ${e}`),
    );
    assert.deepEqual(problems, []);
  });

  test('each Deployment starts the bundle of an existing service', () => {
    for (const d of deployments) {
      const entry = containerOf(d).command.at(-1) as string;
      const name = /^dist\/([a-z]+)\.mjs$/.exec(entry)?.[1];
      assert.ok(name, `${entry} is not a service bundle`);
      const main = `services/${name}/src/main.ts`;
      assert.ok(fs.existsSync(repoPath(main)), `${main} is missing`);
    }
  });

  test('the grace period outlasts INGEST_SHUTDOWN_TIMEOUT', () => {
    for (const d of deployments) {
      const override = (containerOf(d).env ?? []).find(
        (e: { name: string }) => e.name === 'INGEST_SHUTDOWN_TIMEOUT',
      );
      const setting = override?.value ?? config.data?.INGEST_SHUTDOWN_TIMEOUT;
      assert.ok(setting, `${d.metadata.name}: no INGEST_SHUTDOWN_TIMEOUT`);

      // The grace period runs from the preStop hook, before SIGTERM.
      const graceMs = podSpec(d).terminationGracePeriodSeconds * 1000;
      const hookMs = preStopMs(containerOf(d));
      assert.ok(
        graceMs >= hookMs + parseDuration(setting) + 10_000,
        `${d.metadata.name}: grace ${graceMs} ms vs preStop ${hookMs} ms ` +
          `and shutdown ${setting}`,
      );
    }
  });

  test('selectors, probes and ports line up', () => {
    for (const d of deployments) {
      const name = d.metadata.name;
      const podLabels = d.spec.template.metadata.labels;
      assert.ok(selects(d.spec.selector.matchLabels, podLabels), name);

      const ports = containerOf(d).ports.map((p: { name: string }) => p.name);
      for (const probe of ['livenessProbe', 'readinessProbe']) {
        const port = containerOf(d)[probe].httpGet.port;
        assert.ok(ports.includes(port), `${name} ${probe}: port ${port}`);
      }
    }

    const podsOf = (selector: Record<string, string>) =>
      deployments.filter((d) =>
        selects(selector, d.spec.template.metadata.labels),
      );
    for (const s of services) {
      const [target, ...others] = podsOf(s.spec.selector);
      assert.ok(target && others.length === 0, `${s.metadata.name} selector`);
      const names = containerOf(target).ports.map((p: any) => p.name);
      for (const port of s.spec.ports) {
        assert.ok(names.includes(port.targetPort), `${s.metadata.name}`);
      }
    }
    for (const pdb of ofKind(all, 'PodDisruptionBudget')) {
      assert.equal(podsOf(pdb.spec.selector.matchLabels).length, 1);
    }
  });

  test('env comes from the ConfigMap and Secret of the base', () => {
    for (const d of deployments) {
      const from = containerOf(d).envFrom;
      assert.deepEqual(from, [
        { configMapRef: { name: config.metadata.name } },
        { secretRef: { name: secret.metadata.name } },
      ]);
    }
  });

  test('ConfigMap and Secret name only known settings', () => {
    const known = new Set(configVariables());
    const aws = /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|REGION)$/;
    const keys = [
      ...Object.keys(config.data ?? {}),
      ...Object.keys(secret.stringData ?? {}),
      ...deployments.flatMap((d) =>
        (containerOf(d).env ?? []).map((e: { name: string }) => e.name),
      ),
    ];
    const unknown = keys.filter((k) => !known.has(k) && !aws.test(k));
    assert.deepEqual(unknown, []);
    assert.ok(secret.stringData?.REDIS_URL, 'the Secret carries REDIS_URL');
  });

  test('the ServiceMonitor scrapes every Service as its component', () => {
    const [monitor] = ofKind(all, 'ServiceMonitor');
    const jobLabel = monitor.spec.jobLabel;
    const ports = monitor.spec.endpoints.map((e: { port: string }) => e.port);

    const jobs = services.map((s) => {
      assert.ok(selects(monitor.spec.selector.matchLabels, s.metadata.labels));
      const named = s.spec.ports.map((p: { name: string }) => p.name);
      assert.ok(ports.every((p: string) => named.includes(p)));
      return s.metadata.labels?.[jobLabel];
    });
    // deploy/prometheus/alerts.yml matches on these job names.
    assert.deepEqual(jobs.sort(), ['gateway', 'notifier', 'transcoder']);
  });

  test("the ServiceMonitor keeps the metrics' own service label", () => {
    // createRegistry labels every metric `service`; without honorLabels
    // the Operator's target label of that name renames it exported_service.
    const [monitor] = ofKind(all, 'ServiceMonitor');
    for (const endpoint of monitor.spec.endpoints) {
      assert.equal(endpoint.honorLabels, true);
    }
  });

  test('KEDA scales the transcoders on the transcode backlog', () => {
    const [scaler] = ofKind(all, 'ScaledObject');
    const transcoder = deployments.find(
      (d) => d.metadata.name === scaler.spec.scaleTargetRef.name,
    );
    assert.equal(transcoder?.metadata.labels?.['app.kubernetes.io/component'],
      'transcoder');
    assert.equal(transcoder?.spec.replicas, undefined,
      'the ScaledObject, not the Deployment, owns the replica count');
    assert.ok(scaler.spec.minReplicaCount >= 1);

    const [trigger] = scaler.spec.triggers;
    assert.equal(trigger.type, 'prometheus');
    // Counted once however many processes export the gauge.
    assert.equal(
      trigger.metadata.query,
      'sum(max by (state) (ingest_queue_jobs' +
        '{queue="transcode",state=~"waiting|prioritized|active"}))',
    );
    // One replica per TRANSCODER_CONCURRENCY outstanding uploads, running
    // ones counted: a busy fleet with an empty queue is not scaled in.
    const env = transcoder?.spec.template.spec.containers[0].env ?? [];
    const concurrency = env.find(
      (e: { name: string }) => e.name === 'TRANSCODER_CONCURRENCY',
    );
    assert.equal(trigger.metadata.threshold, concurrency?.value);
  });

  test('the base holds no Secret and leaves the image to overlays', () => {
    // A Secret here would replace the operator's on every apply; an
    // images: rewrite here would make the overlay's entry match nothing.
    assert.deepEqual(ofKind(all, 'Secret'), []);
    const base = readYaml(baseDir, 'kustomization.yaml') as object;
    assert.equal('images' in base, false);
  });

  test('the base lists every manifest in its folder', () => {
    const listed = new Set(kustomizationResources());
    const files = fs
      .readdirSync(repoPath(baseDir))
      .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    assert.deepEqual(files.filter((f) => !listed.has(f)), []);
  });
});
