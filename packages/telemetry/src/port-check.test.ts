import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { StartRefusal } from '@ingest/core';
import { checkPortsFree } from './port-check';

test('a taken port is refused by name; a free one is let go again', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as net.AddressInfo;
  const place = { host: '127.0.0.1', port, portSetting: 'TRANSCODER_PORT' };
  try {
    await assert.rejects(checkPortsFree([{ ...place, port: 0 }, place]), (err) => {
      assert.ok(err instanceof StartRefusal);
      assert.match(err.message, /another process holds the port; .* TRANSCODER_PORT/);
      return true;
    });
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }

  // Free now: checked, and free again after the check.
  await checkPortsFree([place]);
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
  await new Promise((resolve) => holder.close(resolve));
});
