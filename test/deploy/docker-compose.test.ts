import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readYaml } from './repo-files';
import { requireTool, run } from './tools';
import { SERVICE_NODE_FLAGS } from '@ingest/build';

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  init?: boolean;
  stop_grace_period?: string;
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
      const graceSeconds = Number.parseInt(service.stop_grace_period ?? '');
      const drainSeconds = Number.parseInt(env.INGEST_SHUTDOWN_TIMEOUT ?? '');
      assert.ok(graceSeconds > drainSeconds, `${name} stop_grace_period`);
    }
  });
});
