// Run in the image: every package the service bundles import
// (dist/externals.json, written by scripts/build-services.ts) must
// resolve from dist/, or a service would fail at its first start.
import { readFileSync } from 'node:fs';

const names = JSON.parse(
  readFileSync(new URL('../../dist/externals.json', import.meta.url), 'utf8'),
);
const from = new URL('../../dist/gateway.mjs', import.meta.url).href;
const missing = [];
for (const name of names) {
  try {
    import.meta.resolve(name, from);
  } catch {
    missing.push(name);
  }
}
if (missing.length > 0) {
  console.error(`missing packages: ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`${names.length} packages the services import are installed`);
