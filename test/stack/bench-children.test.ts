/**
 * The bench's own children (transcoders, plain ffmpegs) end with it on
 * SIGTERM or SIGINT, and the bench still ends by that signal.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '@ingest/testkit';

const ROOT = path.resolve(import.meta.dirname, '../..');

// Stands in for the bench: owns a long `sleep`, says its pid, waits.
const DRIVER = `
  import { spawn } from 'node:child_process';
  import { ownChild } from './bench/own-children.ts';
  const child = ownChild(spawn('sleep', ['300'], { stdio: 'ignore' }));
  console.log(child.pid);
  setInterval(() => {}, 1000);
`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: the bench's children end with it`, async () => {
    const bench = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', DRIVER],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = await once(bench.stdout!, 'data');
    const childPid = Number(String(line).trim());
    assert.ok(alive(childPid), 'the child runs');

    bench.kill(signal);
    const [code, endedBy] = await once(bench, 'exit');
    assert.deepEqual([code, endedBy], [null, signal]);
    await waitUntil(() => !alive(childPid), { timeoutMs: 5_000 });
  });
}
