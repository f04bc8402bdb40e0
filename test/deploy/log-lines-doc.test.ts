// An operator meets a service's warnings and errors in its log before
// any page: docs/operations.md says what each means and what to do, so
// a line the code logs at warn, error or fatal is held to the page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readText, sourceTexts } from './repo-files';

/** Packages whose lines are not the services' own log. */
const NOT_SERVICE_LOGS = /^packages\/(cli|client|client-queue|testkit)\//;

/**
 * The constant messages of `logger.warn|error|fatal(fields, '…')` calls,
 * pieces joined by `+` included; one built from values is left out.
 */
function loggedMessages(): Map<string, string> {
  const fields = String.raw`(?:\{[^;]*?\}|[\w.]+)`;
  const pieces = String.raw`((?:'[^'\n]*'\s*\+?\s*)+)`;
  const call = new RegExp(
    String.raw`\.(?:warn|error|fatal)\(\s*${fields}\s*,\s*${pieces},?\s*\)`,
    'g',
  );
  const messages = new Map<string, string>();
  for (const { file, text } of sourceTexts()) {
    if (NOT_SERVICE_LOGS.test(file)) continue;
    for (const m of text.matchAll(call)) {
      const message = [...m[1].matchAll(/'([^']*)'/g)].map((p) => p[1]).join('');
      messages.set(message, file);
    }
  }
  return messages;
}

test('docs/operations.md explains every warning and error a service logs', () => {
  // Lines wrap anywhere on the page; a message is one line of its own.
  const page = readText('docs/operations.md').replace(/\s*\n\s*/g, ' ');
  const messages = loggedMessages();
  assert.ok(messages.size >= 30, 'the services log warnings and errors');
  const missing = [...messages]
    .filter(([message]) => !page.includes(`\`${message}\``))
    .map(([message, file]) => `${message} (${file})`);
  assert.deepEqual(missing, []);
});
