import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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

test('a start that fails removes the data dir it made, and no other', async () => {
  const parent = path.join(dir, 'parent');
  await mkdir(parent);
  const made = path.join(parent, 'new', 'data');
  const failed = await service(made, "throw new Error('no Redis');");
  assert.equal(failed.code, 1, failed.output);
  // Each folder of its path the start made goes; the one above stays.
  assert.deepEqual(await readdir(parent), []);

  // A data dir that was there before stays, empty as it is.
  const there = path.join(dir, 'there');
  await mkdir(there);
  assert.equal((await service(there, "throw new Error('no Redis');")).code, 1);
  assert.deepEqual(await readdir(there), []);

  // One the start wrote a file in stays, with the file.
  const written = path.join(parent, 'written');
  const mark = JSON.stringify(path.join(written, 'mark'));
  const late = await service(
    written,
    `await (await import('node:fs/promises')).writeFile(${mark}, 'x');
     throw new Error('port in use');`,
  );
  assert.equal(late.code, 1, late.output);
  await access(path.join(written, 'mark'));
});
