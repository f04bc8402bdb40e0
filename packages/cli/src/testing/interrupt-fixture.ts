import { existsSync, writeFileSync, writeSync } from 'node:fs';
import { abortOnInterrupt } from '../interrupts';
import { TempFiles } from '../temp-files';

// A command whose abort is slow: its abort listener holds the thread for
// a while, as a command winding down several transfers may. It holds it
// until the test has sent the second Ctrl-C and then made `sentFile`, so
// that Ctrl-C always arrives while the first one's abort still runs.
const [tempFile, sentFile] = process.argv.slice(2);
const tempFiles = new TempFiles();
writeFileSync(tempFile, 'partial');
tempFiles.add(tempFile);
const signal = abortOnInterrupt(tempFiles);
signal.addEventListener('abort', () => {
  writeSync(1, 'aborting\n');
  const until = Date.now() + 30_000;
  while (!existsSync(sentFile) && Date.now() < until) {
    // busy: the second Ctrl-C arrives now
  }
  writeSync(1, 'aborted\n');
});
writeSync(1, 'ready\n');
setTimeout(() => process.exit(0), 60_000);
