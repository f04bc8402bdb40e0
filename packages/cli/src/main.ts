import { runCli } from './run-cli';
import { TempFiles } from './temp-files';

// The composition root: the real streams (cli-config reads the env).
// Ctrl-C aborts the command: the transfer under way stops, its temp file
// is removed, and the command reports what it had done. A second Ctrl-C
// ends the process at once, removing the temp files first.
const interrupt = new AbortController();
const tempFiles = new TempFiles();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => {
    tempFiles.removeAllSync();
    process.exit(130);
  });
});

// A reader that went away (`ingest list | head -2`) is no error: the
// rest of the output is dropped and the command ends as it would.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
  tempFiles,
});
