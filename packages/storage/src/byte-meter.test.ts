import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { ByteMeter } from './byte-meter';

test('a fast source waits for a slow sink: nothing piles up in the meter', async () => {
  const chunk = Buffer.alloc(64 * 1024, 1);
  const total = 200;
  let sent = 0;
  const source = new Readable({
    read() {
      this.push(sent++ < total ? chunk : null);
    },
  });
  const meter = new ByteMeter(Infinity);
  let most = 0;
  const slowSink = new Writable({
    highWaterMark: 64 * 1024,
    write(_chunk, _encoding, done) {
      most = Math.max(most, meter.readableLength + meter.writableLength);
      setImmediate(done);
    },
  });
  await pipeline(source, meter, slowSink);
  assert.equal(meter.result().bytes, total * chunk.length);
  // Transform's two 16 KiB-object buffers hold a few chunks at most;
  // without backpressure the meter held nearly the whole 12.5 MiB.
  assert.ok(most <= 4 * chunk.length, `meter held ${most} bytes`);
});
