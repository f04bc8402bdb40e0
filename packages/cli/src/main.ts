import { runCli } from './run-cli';

// The composition root: the real streams (cli-config reads the env).
// Ctrl-C aborts the command, so a live bar is put away and the cursor
// shown again; a second Ctrl-C ends the process at once.
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
});
