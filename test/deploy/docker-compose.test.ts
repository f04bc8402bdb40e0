import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SERVICE_NODE_FLAGS } from '@ingest/build';
import { parseDuration } from '@ingest/config';
import { publishedAddress, type ComposePort } from './compose-ports';
import { readYaml } from './repo-files';
import { requireTool, run } from './tools';

interface ComposeService {
  image?: string;
  command?: string[];
  ports?: ComposePort[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  volumes?: (string | { source?: string; target?: string })[];
  depends_on?: Record<string, { condition: string }>;
  init?: boolean;
  stop_grace_period?: string;
  build?: unknown;
}

const compose = readYaml('docker-compose.yml') as {
  services: Record<string, ComposeService>;
};
const ingest = Object.entries(compose.services).filter(([, s]) =>
  s.command?.some((part) => part.startsWith('dist/')),
);

describe('docker-compose.yml', () => {
  test('docker-compose config -q accepts it', () => {
    const bin = requireTool('docker-compose', 'docker-compose');
    const result = run(bin, ['-f', 'docker-compose.yml', 'config', '-q']);
    assert.equal(result.status, 0, result.output);
  });

  test('runs a gateway, two transcoders and a notifier', () => {
    for (const [name, service] of ingest) {
      assert.deepEqual(
        service.command?.slice(0, -1),
        ['node', ...SERVICE_NODE_FLAGS],
        `${name} runs with the services' node options`,
      );
    }
    const entries = ingest.map(([, s]) => s.command?.at(-1)).sort();
    assert.deepEqual(entries, [
      'dist/gateway.mjs',
      'dist/notifier.mjs',
      'dist/transcoder.mjs',
      'dist/transcoder.mjs',
    ]);
  });

  test('Redis keeps every write and never evicts', () => {
    const command = compose.services.redis.command?.join(' ') ?? '';
    assert.match(command, /--appendonly yes/);
    assert.match(command, /--maxmemory-policy noeviction/);
  });

  test('each ingest service is wired, checked and drains', () => {
    for (const [name, service] of ingest) {
      const env = service.environment ?? {};
      assert.match(env.REDIS_URL ?? '', /^redis:\/\/redis:/, name);
      assert.match(env.STORAGE_URL ?? '', /^s3:\/\//, name);
      assert.match(env.SMTP_URL ?? '', /^smtp:\/\//, name);
      assert.ok(service.healthcheck, `${name} has a healthcheck`);
      assert.equal(service.init, true, `${name} runs under an init`);
      assert.equal(service.depends_on?.redis?.condition, 'service_healthy');
      assert.equal(
        service.depends_on?.['minio-init']?.condition,
        'service_completed_successfully',
      );
      // Both are durations with units ('45s', '2m'), parsed as such.
      const graceMs = parseDuration(service.stop_grace_period ?? '');
      const drainMs = parseDuration(env.INGEST_SHUTDOWN_TIMEOUT ?? '');
      assert.ok(graceMs > drainMs, `${name} stop_grace_period`);
    }
  });

  test('no volume is shared at INGEST_DATA_DIR', () => {
    // Work folders are named by pid, the same in every container: a
    // transcoder starting on a shared data dir clears another's work.
    const owners = new Map<string, string[]>();
    for (const [name, service] of ingest) {
      const dataDir = service.environment?.INGEST_DATA_DIR ?? '';
      for (const volume of service.volumes ?? []) {
        const [source, target] =
          typeof volume === 'string'
            ? volume.split(':')
            : [volume.source, volume.target];
        if (!source || target !== dataDir) continue;
        owners.set(source, [...(owners.get(source) ?? []), name]);
      }
    }
    const shared = [...owners].filter(([, names]) => names.length > 1);
    assert.deepEqual(shared, []);
  });

  test('the port reader finds the host address Compose would use', () => {
    assert.equal(publishedAddress('8080:8080'), '');
    assert.equal(publishedAddress('9090'), '');
    assert.equal(publishedAddress('0.0.0.0:3000:3000'), '');
    assert.equal(publishedAddress('127.0.0.1:3000:3000/tcp'), '127.0.0.1');
    assert.equal(publishedAddress('[::1]:3000:3000'), '::1');
    assert.equal(publishedAddress('${BIND:-127.0.0.1}:80:80'), '127.0.0.1');
    assert.equal(publishedAddress('${BIND}:80:80'), '');
    assert.equal(publishedAddress({ published: 80 }), '');
    assert.equal(publishedAddress({ host_ip: '127.0.0.1' }), '127.0.0.1');
  });

  test('no published port listens on every interface', () => {
    const open = Object.entries(compose.services).flatMap(([name, s]) =>
      (s.ports ?? [])
        .map((port) => ({ port, address: publishedAddress(port) }))
        .filter(({ address }) => !['127.0.0.1', '::1'].includes(address))
        .map(({ port }) => `${name}: ${JSON.stringify(port)}`),
    );
    assert.deepEqual(open, []);
  });

  test('images are pinned to a version, not latest', () => {
    const pinned = (image: string) =>
      /:[^/:]+$/.test(image) && !image.endsWith(':latest');
    const loose = Object.entries(compose.services)
      .filter(([, s]) => s.image && !s.build && !pinned(s.image))
      .map(([name, s]) => `${name}: ${s.image}`);
    assert.deepEqual(loose, []);
  });
});
