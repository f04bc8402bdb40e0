import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { COMMANDS } from './commands/index';
import { EXIT } from './exit-codes';

// The README's synopsis and exit table are what scripts are written
// against: each command with every option it takes, and no option it
// does not; every exit code, and no other.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The synopsis block: one entry per command, continuation lines joined. */
function synopsis(): Map<string, string> {
  const block = /```\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'the README opens with its synopsis');
  const entries = new Map<string, string>();
  for (const entry of block[1].split(/\n(?=ingest )/)) {
    const name = /^ingest (\S+)/.exec(entry)?.[1];
    assert.ok(name, `a synopsis entry names its command: ${entry}`);
    entries.set(name, entry);
  }
  return entries;
}

test('the synopsis gives every command with the options it takes', () => {
  const entries = synopsis();
  // `ingest --version` is the one line that is no command.
  assert.equal(entries.get('--version'), 'ingest --version\n');
  entries.delete('--version');
  assert.deepEqual([...entries.keys()], COMMANDS.map((c) => c.name));
  for (const command of COMMANDS) {
    const entry = entries.get(command.name) ?? '';
    const written = [...entry.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]);
    assert.deepEqual(
      [...new Set(written)].sort(),
      Object.keys(command.options).sort(),
      `ingest ${command.name}`,
    );
  }
});

test('the exit table gives every exit code', () => {
  const rows = [...readme.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
  assert.deepEqual(rows.sort((a, b) => a - b), Object.values(EXIT).sort((a, b) => a - b));
});
