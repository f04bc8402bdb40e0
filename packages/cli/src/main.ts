import { abortOnInterrupt } from './interrupts';
import { runCli } from './run-cli';
import { TempFiles } from './temp-files';

// The composition root: the real streams (cli-config reads the env).
const tempFiles = new TempFiles();
const signal = abortOnInterrupt(tempFiles);

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
  signal,
  tempFiles,
});
