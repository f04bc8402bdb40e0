import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listenOnLoopback, waitUntil, type LoopbackServer } from '@ingest/testkit';
import { jsonOf, runIngest, startIngest } from './testing/run-ingest';

/** Calls the gateway got, by path. */
const calls: string[] = [];
/** The tokens those calls carried. */
const tokens: string[] = [];

/**
 * A gateway that answers every call by the token it is sent: `open` a
 * job in progress, `empty` a JSON object without the fields of any
 * answer, `null` the JSON `null`; `hang` never answers.
 */
async function gateway(): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    calls.push(req.url ?? '');
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    tokens.push(token);
    if (token === 'hang') return;
    const body =
      token === 'empty'
        ? {}
        : token === 'null'
          ? null
          : { result: 'success', job_id: 1, state: 'open', queued: 1, q: 1, i: 0, d: 0, e: 0 };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  return listenOnLoopback(server);
}

describe('ingest given hostile arguments or answers', { timeout: 120_000 }, () => {
  let server: LoopbackServer;
  const env = (token = 'open') => ({ INGEST_URL: server.url, INGEST_TOKEN: token });

  before(async () => {
    server = await gateway();
  });

  after(() => server.close());

  it('refuses an operand where an option names the job; publishes nothing', async () => {
    calls.length = 0;
    const result = await runIngest(['publish', '7', '--json'], env());

    assert.equal(result.code, 1, result.stderr);
    assert.equal(jsonOf(result).code, 'usage');
    assert.match(result.stderr, /publish takes no arguments, got: 7/);
    assert.deepEqual(calls, []);
  });

  it('refuses a --timeout longer than a timer holds instead of giving up at once', async () => {
    const result = await runIngest(
      ['publish', '--wait', '--timeout', '3000000', '--json'],
      env(),
    );

    assert.equal(result.code, 1, result.stderr);
    assert.equal(jsonOf(result).code, 'usage');
    assert.match(result.stderr, /--timeout must be at most 2147483: 3000000/);
  });

  it('refuses a blank --timeout rather than taking the default; one line', async () => {
    calls.length = 0;
    const blank = await runIngest(['publish', '--timeout', '', '--json'], env());

    assert.equal(blank.code, 1, blank.stderr);
    assert.equal(jsonOf(blank).code, 'usage');
    assert.match(blank.stderr, /--timeout must be a positive number, not blank/);
    assert.deepEqual(calls, []);

    const dashed = await runIngest(['publish', '--timeout', '-5'], env());
    assert.equal(dashed.code, 1, dashed.stderr);
    assert.equal(dashed.stderr, 'ingest: --timeout must be a positive number: -5\n');
  });

  it('refuses a negative or dashed --job as it does any other bad id', async () => {
    calls.length = 0;
    for (const [command, id] of [['status', '-1'], ['list', '-x'], ['publish', '-0']]) {
      const result = await runIngest([command, '--job', id, '--json'], env());

      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(jsonOf(result), {
        error: `--job must be a positive integer: ${id}`,
        code: 'usage',
      });
    }
    assert.deepEqual(calls, []);
  });

  it('prints its version for --version and -V, exit 0', async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    for (const args of [['--version'], ['-V'], ['status', '--version']]) {
      const result = await runIngest(args, env());

      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `ingest ${version}\n`, args.join(' '));
    }
  });

  it('names the option meant for a mistyped one, or the commands that take it', async () => {
    calls.length = 0;
    const typo = await runIngest(['upload', 'a.wav', '--fromats', 'mp3'], env());
    assert.equal(typo.code, 1, typo.stderr);
    // Node's own hint on positional arguments (a quote left open) is gone.
    assert.equal(
      typo.stderr,
      "ingest: Unknown option '--fromats' for upload (did you mean --formats?) " +
        '(see ingest upload --help)\n',
    );

    const elsewhere = await runIngest(['status', '--wait', '--json'], env());
    assert.equal(elsewhere.code, 1, elsewhere.stderr);
    assert.match(
      jsonOf(elsewhere).error as string,
      /^Unknown option '--wait' for status: it is an option of publish, download \(/,
    );
    assert.deepEqual(calls, []);
  });

  it('refuses a URL it cannot parse as a usage error, not a crash', async () => {
    const result = await runIngest(['upload', 'http://', '--json'], env());

    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(jsonOf(result), { error: 'not a URL: http://', code: 'usage' });
  });

  it('answers JSON for --json without a command', async () => {
    const result = await runIngest(['--json'], env());

    assert.equal(result.code, 1);
    assert.equal(jsonOf(result).code, 'usage');
  });

  it('refuses a token with a line break at once, exit 1, calling nothing', async () => {
    calls.length = 0;
    const result = await runIngest(['status', '--json'], env('open\r\n'));

    assert.equal(result.code, 1, result.stderr);
    assert.equal(jsonOf(result).code, 'usage');
    assert.match(result.stderr, /token holds characters a header cannot carry/);
    assert.deepEqual(calls, []);
  });

  it('takes a token starting with a dash as the value of --token', async () => {
    tokens.length = 0;
    const token = '-eaDyWbkigNWYCokDkQ35fWu';
    const result = await runIngest(['status', '--token', token, '--json'], {
      INGEST_URL: server.url,
      INGEST_TOKEN: '',
    });

    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(tokens, [token]);
  });

  it('shows control characters of a file name as \\xNN, never raw', async () => {
    const name = 'evil\x1b]0;pwned\x07\rname.wav';
    const result = await runIngest(['upload', name], env());

    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /[\x07\x1b\r]/);
    assert.match(result.stderr, /evil\\x1b\]0;pwned\\x07\\x0dname\.wav\n$/);
  });

  it('a FIFO named to upload fails by name once, as not a regular file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-fifo-'));
    try {
      const fifo = path.join(dir, 'pipe.wav');
      execFileSync('mkfifo', [fifo]);
      const result = await runIngest(['upload', fifo, '--json'], env());

      assert.equal(result.code, 2, result.stderr);
      const [upload] = jsonOf(result).uploads;
      assert.equal(upload.errno, 'EINVAL');
      assert.equal(upload.error, 'not a regular file (EINVAL)');
      assert.equal(result.stderr.split(fifo).length, 2, result.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const [command, endpoint] of [
    ['status', '/api/import/checkJob'],
    ['list', '/api/import/list'],
    ['create-job', '/api/import/createJob'],
  ]) {
    it(`${command}: one Ctrl-C stops a call the gateway never answers, exit 130`, async () => {
      calls.length = 0;
      const run = startIngest([command, '--json'], env('hang'), { killAfterMs: 60_000 });
      await waitUntil(async () => calls.includes(endpoint), { timeoutMs: 30_000 });
      run.child.kill('SIGINT');
      const result = await run.done;

      assert.equal(result.code, 130, result.stderr);
      assert.equal(jsonOf(result).code, 'interrupted');
    });
  }

  for (const token of ['empty', 'null']) {
    it(`list and status: an answer of ${token} is an API error in one document`, async () => {
      for (const command of ['list', 'status']) {
        const result = await runIngest([command, '--json'], env(token));

        assert.equal(result.code, 2, `${command}: ${result.stderr}`);
        assert.equal(jsonOf(result).code, 'invalid_answer', command);
      }
    });
  }
});
