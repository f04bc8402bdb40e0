/**
 * `npm run site:create`, the README's way to make more sites, against a
 * Redis of its own: every `--custom` counts, whether the fields come as
 * one comma list or as the option repeated. Its refusals are one line
 * each: run without INGEST_DATA_DIR beside a stack started with one, it
 * printed a stack trace that named neither that variable nor the fix. The
 * README shows its output as it is printed, over several lines.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { StateStore } from '@ingest/state';
import { freePort, redisForTests } from '@ingest/testkit';
import { assertOneLine } from './stack-processes';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const own = redisForTests();
let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ingest-site-create-'));
});

after(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function createSite(...args: string[]) {
  return JSON.parse(await createSiteOutput(...args));
}

/** What the script prints, as it prints it. */
async function createSiteOutput(...args: string[]): Promise<string> {
  const { stdout } = await run(
    'npm',
    ['run', '--silent', 'site:create', '--', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: own.server.url, INGEST_DATA_DIR: dataDir },
    },
  );
  return stdout;
}

test('--custom as a comma list or repeated: every field is kept', async () => {
  const listed = await createSite('--name', 'Listed', '--custom', 'A, B');
  assert.deepEqual(listed.custom_fields, ['A', 'B']);

  const repeated = await createSite(
    '--name',
    'Repeated',
    '--custom',
    'ISWC Code',
    '--custom',
    'Label Ref,Region',
    '--custom',
    'ISWC Code',
  );
  assert.deepEqual(repeated.custom_fields, [
    'ISWC Code',
    'Label Ref',
    'Region',
  ]);

  const site = await new StateStore(own.redis).getSite(repeated.site_id);
  assert.deepEqual(site?.customFields, repeated.custom_fields);
});

test('--email takes an international domain as the API does, in its xn-- form', async () => {
  // createJob and oncomplete take `jo@bücher.de`; site:create refused it.
  const made = await createSite('--name', 'Bücher', '--email', 'jo@bücher.de');
  const site = await new StateStore(own.redis).getSite(made.site_id);
  assert.equal(site?.contactEmail, 'jo@xn--bcher-kva.de');
});

/** A line of JSON with its values blanked: the shape the README shows. */
function shapeOf(line: string): string {
  return line
    .replace(/^(\s*"[^"]+": )(?:"[^"]*"|\d+)(,?)$/, '$1…$2')
    .replace(/^(\s*)"[^"]*"(,?)$/, '$1…$2');
}

test("the README shows the script's output as it is printed", async () => {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const command =
    'npm run site:create -- --name "Label Two" --email ops@example.com ' +
    '--custom "ISWC Code"\n';
  const at = readme.indexOf(command);
  assert.ok(at >= 0, 'README shows the site:create command');
  // The comment lines under the command, less the note in brackets.
  const after = readme.slice(at + command.length).split('\n');
  const comments = after.slice(0, after.findIndex((l) => !l.startsWith('# ')));
  const shown = comments
    .map((line) => line.slice(2))
    .filter((line) => !line.startsWith('('));

  const printed = await createSiteOutput(
    '--name',
    'Label Two',
    '--email',
    'ops@example.com',
    '--custom',
    'ISWC Code',
  );
  assert.ok(shown.length > 1, 'README shows the output');
  assert.deepEqual(shown.map(shapeOf), printed.trimEnd().split('\n').map(shapeOf));
});

test('a Redis that does not answer is said so, not waited on for ever', async () => {
  // What a stopped npm start leaves: its redis.url, naming a closed port.
  const stale = `redis://127.0.0.1:${await freePort()}`;
  const failed = await run('npm', ['run', '--silent', 'site:create', '--', '--name', 'X'], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: stale, INGEST_DATA_DIR: dataDir },
    timeout: 30_000,
  }).then(
    () => assert.fail('site:create succeeded without Redis'),
    (err: { code: number | string; killed: boolean; stderr: string }) => err,
  );
  assert.equal(failed.killed, false, 'it ended by itself');
  assert.equal(failed.code, 1);
  assertOneLine(failed.stderr, /no Redis answers at redis:\/\/127\.0\.0\.1:\d+/);
  assert.match(failed.stderr, /is npm start running\? Or set REDIS_URL/);
});

/**
 * The script run from `cwd` with `env` (no REDIS_URL unless given), as
 * `npm run` runs it but from a folder of the test's, whose `./var` is
 * the default data dir: the checkout's own var/ plays no part.
 */
function runIn(cwd: string, env: Record<string, string>, ...args: string[]) {
  const { REDIS_URL: _, INGEST_DATA_DIR: __, ...rest } = process.env;
  return run(
    process.execPath,
    // tsx as this checkout has it: `--import tsx` looks for it in `cwd`.
    ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'scripts/create-site.ts'), ...args],
    { cwd, env: { ...rest, ...env }, timeout: 30_000 },
  ).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
}

test('without INGEST_DATA_DIR beside a stack on another: one line saying what to set', async () => {
  // The stack's data dir, with the redis.url a running npm start notes.
  const stackDir = path.join(dataDir, 'stack');
  await mkdir(stackDir, { recursive: true });
  await writeFile(path.join(stackDir, 'redis.url'), `${own.server.url}\n`);
  const elsewhere = await mkdtemp(path.join(dataDir, 'cwd-'));

  const refused = await runIn(elsewhere, {}, '--name', 'Label Two');
  assert.equal(refused.code, 1);
  assertOneLine(refused.stderr, /^no Redis to use: REDIS_URL is not set/);
  assert.ok(
    refused.stderr.includes(path.join(elsewhere, 'var', 'redis.url')),
    refused.stderr,
  );
  assert.match(refused.stderr, /set INGEST_DATA_DIR to the data dir it was started with/);
  assert.match(refused.stderr, /or set REDIS_URL/);

  // What the line says to do works, and the answer names the site's id.
  const made = await runIn(
    elsewhere,
    { INGEST_DATA_DIR: stackDir },
    '--name',
    'Label Two',
  );
  assert.equal(made.code, 0, made.stderr);
  assert.ok(Number.isInteger(JSON.parse(made.stdout).site_id), made.stdout);
});

test('a redis.url left by a stopped stack: one line naming INGEST_DATA_DIR', async () => {
  const stale = path.join(dataDir, 'stale');
  await mkdir(stale, { recursive: true });
  await writeFile(
    path.join(stale, 'redis.url'),
    `redis://127.0.0.1:${await freePort()}\n`,
  );
  const refused = await runIn(dataDir, { INGEST_DATA_DIR: stale }, '--name', 'X');
  assert.equal(refused.code, 1);
  assertOneLine(refused.stderr, /^no Redis answers at redis:\/\/127\.0\.0\.1:\d+ /);
  assert.ok(refused.stderr.includes(path.join(stale, 'redis.url')), refused.stderr);
  assert.match(refused.stderr, /set INGEST_DATA_DIR to the data dir it was started with/);
});

test('wrong options and settings: one line each, exit 1', async () => {
  const env = { REDIS_URL: own.server.url };
  const cases: [Record<string, string>, string[], RegExp][] = [
    [env, [], /^usage: npm run site:create -- --name NAME/],
    [env, ['--nmae', 'X'], /^Unknown option '--nmae'; usage: npm run site:create/],
    [env, ['--name'], /argument missing; usage: npm run site:create/],
    [env, ['--name', 'X', '--email', 'a@x.test,b@x.test'], /is not one plain address$/],
    [{ ...env, PORT: 'eighty' }, ['--name', 'X'], /^invalid configuration: PORT: /],
  ];
  for (const [given, args, refusal] of cases) {
    const refused = await runIn(dataDir, given, ...args);
    assert.equal(refused.code, 1, `${args.join(' ')}: ${refused.stderr}`);
    assertOneLine(refused.stderr, refusal);
  }
});
