// Time and disk the base's pods are given, checked against what the
// services take: /readyz's own time limits, the gateway's preStop pause,
// and the files each service may write under INGEST_DATA_DIR.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '@ingest/config';
import { SPOOL_MAX_FILES } from '@ingest/gateway/src/uploads/file-spool';
import { REDIS_READY_TIMEOUT_MS } from '@ingest/queue';
import { S3_READY_TIMEOUT_MS } from '@ingest/storage';
import {
  loadBase,
  ofKind,
  preStopMs,
  quantityBytes,
  type Resource,
} from './k8s-resources';
import { readText } from './repo-files';

const all = loadBase();
const deployments = ofKind(all, 'Deployment');
const [configMap] = ofKind(all, 'ConfigMap');

const containerOf = (d: Resource) => d.spec.template.spec.containers[0];

function deployment(component: string): Resource {
  const found = deployments.find(
    (d) => d.metadata.labels?.['app.kubernetes.io/component'] === component,
  );
  assert.ok(found, `no ${component} Deployment`);
  return found;
}

/** The settings one Deployment's container starts with. */
function configOf(d: Resource) {
  const env: Record<string, string> = { ...configMap.data };
  for (const { name, value } of containerOf(d).env ?? []) env[name] = value;
  return { env, config: loadConfig(env) };
}

/** The sizeLimit of the emptyDir mounted at INGEST_DATA_DIR, in bytes. */
function dataDirBytes(d: Resource): number {
  const { config } = configOf(d);
  const mount = containerOf(d).volumeMounts.find(
    (m: { mountPath: string }) => m.mountPath === config.dataDir,
  );
  assert.ok(mount, `${d.metadata.name}: nothing mounted at INGEST_DATA_DIR`);
  const volume = d.spec.template.spec.volumes.find(
    (v: { name: string }) => v.name === mount.name,
  );
  return quantityBytes(volume.emptyDir.sizeLimit);
}

const GiB = 1024 ** 3;

describe('k8s pod time and disk budgets', () => {
  test('readiness waits out a slow Redis PING, then a slow S3 HEAD', () => {
    const worstMs = REDIS_READY_TIMEOUT_MS + S3_READY_TIMEOUT_MS;
    for (const d of deployments) {
      const probe = containerOf(d).readinessProbe;
      assert.ok(
        probe.timeoutSeconds * 1000 > worstMs,
        `${d.metadata.name}: readiness timeout ${probe.timeoutSeconds}s, ` +
          `/readyz may take ${worstMs} ms`,
      );
    }
  });

  test('the gateway pauses before its drain, with a sleep the image has', () => {
    const gateway = deployment('gateway');
    assert.ok(preStopMs(containerOf(gateway)) >= 5_000, 'preStop sleep');

    // Debian-based node images carry coreutils' sleep; distroless do not.
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(readText('Dockerfile'))?.[1];
    assert.match(image ?? '', /^node:\d+-(bookworm|bullseye)(-slim)?$/);
  });

  test('the ephemeral-storage limit covers every volume', () => {
    for (const d of deployments) {
      const { requests, limits } = containerOf(d).resources;
      const volumes = d.spec.template.spec.volumes as {
        name: string;
        emptyDir?: { sizeLimit?: string };
      }[];
      const sized = volumes.map((v) => {
        assert.ok(v.emptyDir?.sizeLimit, `${d.metadata.name}: ${v.name} size`);
        return quantityBytes(v.emptyDir.sizeLimit);
      });
      const limit = quantityBytes(limits['ephemeral-storage']);
      const total = sized.reduce((sum, bytes) => sum + bytes, 0);
      assert.ok(limit > total, `${d.metadata.name}: ${limit} <= ${total}`);
      assert.ok(quantityBytes(requests['ephemeral-storage']) <= limit);
    }
  });

  test('the gateway holds its multipart spool and two local copies', () => {
    // With S3, each source read for its tags is copied to tmp/ first.
    const gateway = deployment('gateway');
    const { maxSourceBytes } = configOf(gateway).config;
    const needed = (SPOOL_MAX_FILES + 2) * maxSourceBytes;
    assert.ok(
      dataDirBytes(gateway) >= needed,
      `gateway data ${dataDirBytes(gateway) / GiB} GiB < ${needed / GiB} GiB`,
    );
  });

  test('a transcoder holds the work files of every upload it runs', () => {
    // Per upload: a WAV source, its WAV and AIFF copies, FLAC and MP3.
    const transcoder = deployment('transcoder');
    const { config, env } = configOf(transcoder);
    const concurrency = Number(env.TRANSCODER_CONCURRENCY);
    assert.ok(concurrency >= 1, 'TRANSCODER_CONCURRENCY is pinned');
    const needed = concurrency * 4 * config.maxSourceBytes;
    assert.ok(
      dataDirBytes(transcoder) >= needed,
      `transcoder data ${dataDirBytes(transcoder) / GiB} GiB < ` +
        `${needed / GiB} GiB`,
    );
  });
});
