import assert from 'node:assert/strict';
import { test } from 'node:test';
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
