import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.join(HERE, 'testing/interrupt-fixture.ts');

describe('Ctrl-C handling', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-interrupts-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a second Ctrl-C during the abort of the first exits 130, temp files removed', async () => {
    const tempFile = path.join(dir, 'track.wav.part');
    const sentFile = path.join(dir, 'second-sent');
    const args = ['--import', 'tsx', FIXTURE, tempFile, sentFile];
    const child = spawn(process.execPath, args, {
      cwd: HERE,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (code, signal) => resolve([code, signal])),
    );
    let seen = '';
    let sent = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk;
      if (sent === 0 && seen.includes('ready\n')) {
        sent = 1;
        child.kill('SIGINT');
      }
      if (sent === 1 && seen.includes('aborting\n')) {
        sent = 2;
        child.kill('SIGINT');
        // The abort ends only now: the second Ctrl-C came during it.
        writeFileSync(sentFile, '');
      }
    });

    const [code, signal] = await exited;
    assert.equal(signal, null, 'not killed by the signal itself');
    assert.equal(code, 130);
    assert.equal(seen, 'ready\naborting\naborted\n', 'the first abort ran to its end');
    assert.equal(existsSync(tempFile), false, 'temp file removed');
  });
});
