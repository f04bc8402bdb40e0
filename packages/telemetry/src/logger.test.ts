import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const LOGGER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'logger.ts',
);

/**
 * A process that logs after its stdout's reader has gone, then exits at
 * once, as a service stopping under `npm start | tee` after Ctrl-C.
 */
const SCRIPT = `
  const { createLogger } = await import(${JSON.stringify(LOGGER)});
  const logger = createLogger('test');
  await new Promise((resolve) => setTimeout(resolve, 300));
  logger.info('shutting down');
  logger.info('stopped');
  process.exit(0);
`;

test('a logger whose reader has gone lets the process exit', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', SCRIPT],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child.stdout.destroy(); // the reader is gone before the first line
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  assert.equal(signal, null, 'still running after 10 s: killed');
  assert.equal(code, 0);
});
