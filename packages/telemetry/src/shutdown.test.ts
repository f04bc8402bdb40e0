import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closeInSteps, runSteps, runStepsTogether } from './shutdown';

function warnings() {
  const lines: { fields: { step?: string }; message: string }[] = [];
  const logger = {
    warn: (fields: object, message: string) => {
      lines.push({ fields, message });
    },
  };
  return { logger, lines };
}

test('a step that rejects or throws does not stop the later ones', async () => {
  const { logger, lines } = warnings();
  const ran: string[] = [];

  await runSteps(logger, [
    { name: 'a', run: async () => void ran.push('a') },
    { name: 'b', run: () => Promise.reject(new Error('b failed')) },
    {
      name: 'c',
      run: () => {
        throw new Error('c failed');
      },
    },
    { name: 'd', run: () => void ran.push('d') },
  ]);

  assert.deepEqual(ran, ['a', 'd']);
  assert.deepEqual(
    lines.map((line) => [line.fields.step, line.message]),
    [
      ['b', 'close step failed'],
      ['c', 'close step failed'],
    ],
  );
});

test('steps run together all finish though one fails', async () => {
  const { logger, lines } = warnings();
  let slowDone = false;

  await runStepsTogether(logger, [
    { name: 'fails', run: () => Promise.reject(new Error('no')) },
    {
      name: 'slow',
      run: () =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            slowDone = true;
            resolve();
          }),
        ),
    },
  ]);

  assert.equal(slowDone, true);
  assert.deepEqual(lines.map((line) => line.fields.step), ['fails']);
});

test('closeInSteps runs its steps once, however often it is called', async () => {
  const { logger } = warnings();
  let runs = 0;
  const close = closeInSteps(logger, [
    { name: 'count', run: async () => void runs++ },
  ]);

  const first = close();
  assert.equal(close(), first);
  await Promise.all([first, close()]);
  await close();
  assert.equal(runs, 1);
});

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * A service whose one shutdown step runs until a line comes on stdin,
 * saying `draining` when it starts and `drained` when it ends.
 */
const SERVICE = `
  const { onShutdown } = await import(${JSON.stringify(path.join(HERE, 'shutdown.ts'))});
  const { createLogger } = await import(${JSON.stringify(path.join(HERE, 'logger.ts'))});
  const go = new Promise((resolve) => process.stdin.once('data', resolve));
  onShutdown(createLogger('test', 'silent'), 30_000, [
    {
      name: 'drain',
      run: async () => {
        process.stdout.write('draining\\n');
        await go;
        process.stdout.write('drained\\n');
      },
    },
  ]);
  process.stdout.write('ready\\n');
`;

test('a signal that comes again while the steps run does not end the drain', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', SERVICE],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'close');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let said = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    said += chunk;
    for (const w of waiting) if (said.includes(w.text)) w.resolve();
  });
  const saying = (text: string) =>
    new Promise<void>((resolve) => {
      if (said.includes(text)) resolve();
      else waiting.push({ text, resolve });
    });

  try {
    await saying('ready\n');
    child.kill('SIGTERM');
    await saying('draining\n');
    // The same signal again (npm passes on one sent to it and to the
    // service alike), and the other kind.
    child.kill('SIGTERM');
    child.kill('SIGINT');
    // Signals sent before this line are pending when the step reads it.
    child.stdin.end('go\n');
    const [code, signal] = await exited;

    assert.equal(signal, null, 'ended by the second signal, mid-drain');
    assert.equal(code, 0);
    assert.equal(said, 'ready\ndraining\ndrained\n');
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
});
