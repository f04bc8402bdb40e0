// Run in the image: every package the service bundles import or load
// with createRequire (dist/externals.json, written by
// packages/build/src/build-services.ts) must be installed where a bundle
// in dist/ finds it, or a service would fail at its first start.
//
// A bare name is looked up in the node_modules folders of dist/ and each
// folder above it, by import and by require alike; that is the search
// done here, from dist/. (import.meta.resolve would search from this
// file's folder instead: Node 20 ignores its second argument.)
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const names = JSON.parse(
  readFileSync(path.join(dist, 'externals.json'), 'utf8'),
);

/** The node_modules folders searched for a package from `dir`. */
function searchPath(dir) {
  const folders = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (path.basename(at) !== 'node_modules') {
      folders.push(path.join(at, 'node_modules'));
    }
    if (path.dirname(at) === at) return folders;
  }
}

const folders = searchPath(dist);
const missing = names.filter(
  (name) =>
    !folders.some((folder) =>
      existsSync(path.join(folder, name, 'package.json')),
    ),
);
if (missing.length > 0) {
  console.error(`missing packages: ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`${names.length} packages the services load are installed`);
