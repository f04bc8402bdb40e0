import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-run-service-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Runs a service whose start does `startBody`; answers its exit and output. */
async function service(dataDir: string, startBody: string) {
  const source = `
    const { runService } = await import(${JSON.stringify(path.join(HERE, 'run-service.ts'))});
    const settings = {
      logLevel: 'info',
      shutdownTimeoutMs: 1000,
      dataDir: ${JSON.stringify(dataDir)},
    };
    await runService('demo', () => settings, async () => { ${startBody} });
  `;
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', source],
      { timeout: 60_000 },
    );
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

test('an error no check foresaw is logged with its stack', async () => {
  const { code, output } = await service(
    path.join(dir, 'data'),
    "throw new Error('wires crossed');",
  );
  assert.equal(code, 1, output);
  const fatal = JSON.parse(output.split('\n').find((l) => /"level":60/.test(l))!);
  assert.equal(fatal.msg, 'demo could not start');
  assert.match(fatal.err.stack, /wires crossed\n {4}at /);
  assert.doesNotMatch(output, /^demo could not start:/m);
});

test('a data dir that is a file is refused before the start runs', async () => {
  const file = path.join(dir, 'a-file');
  await writeFile(file, 'not a folder');
  const { code, output } = await service(file, "console.log('started');");
  assert.equal(code, 1, output);
  assert.doesNotMatch(output, /started/);
  const plain = `demo could not start: INGEST_DATA_DIR ${file} is not a folder`;
  assert.ok(output.includes(plain), output);
  assert.doesNotMatch(output, /^\s+at /m, 'a stack trace');
});

test('a missing data dir is made, and the write check leaves nothing', async () => {
  const made = path.join(dir, 'new', 'data');
  const { code, output } = await service(made, "console.log('started');");
  assert.equal(code, 0, output);
  assert.match(output, /started/);
  assert.deepEqual(await readdir(made), []);
});
