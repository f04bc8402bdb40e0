/**
 * The process of one S3 test server (s3TestServer): s3rver on loopback,
 * run by Node with `--openssl-legacy-provider`. s3rver seals the
 * continuation token of a listing cut into pages with DES, a cipher the
 * OpenSSL 3 of Node 20 offers only through its legacy provider: without
 * it every request for a page after the first fails with a 500. Only
 * this process loads that provider; the code under test does not.
 *
 * argv: the folder of its objects, the bucket, the port. Sends
 * `{ port }` to its parent once it listens; on the message 'stop' it
 * stops serving (as a store going down) and exits; it exits as well
 * when its parent goes.
 */
import S3rver from 's3rver';

const [directory, bucket, port] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  silent: true,
  directory,
  configureBuckets: [{ name: String(bucket), configs: [] }],
});
const address = await server.run();

process.on('message', (message) => {
  if (message !== 'stop') return;
  void server.close().finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ port: address.port });
