// Copies installed packages and their runtime dependencies (as resolved in
// package-lock.json) out of node_modules, so the runtime stage can keep a
// devDependency it needs (tsx runs the services' TypeScript) while every
// other devDependency is pruned.
//
// usage: node runtime-closure.mjs <out-dir> <package>...
import fs from 'node:fs';
import path from 'node:path';

const [outDir, ...roots] = process.argv.slice(2);
if (!outDir || roots.length === 0) {
  console.error('usage: runtime-closure.mjs <out-dir> <package>...');
  process.exit(2);
}

const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const packages = lock.packages ?? {};

/** Node's lookup: the nearest node_modules/<name> above `from`. */
function resolve(name, from) {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

const keep = new Set();
const pending = roots.map((name) => {
  const at = resolve(name, '');
  if (!at) throw new Error(`${name} is not in package-lock.json`);
  return at;
});

while (pending.length > 0) {
  const at = pending.pop();
  if (keep.has(at)) continue;
  keep.add(at);

  const entry = packages[at];
  const required = Object.keys(entry.dependencies ?? {});
  const optional = Object.keys(entry.optionalDependencies ?? {});
  for (const name of required) {
    const dep = resolve(name, at);
    if (!dep) throw new Error(`${at} needs ${name}, missing from the lock`);
    pending.push(dep);
  }
  // Optional ones are platform builds (esbuild's); keep those installed here.
  for (const name of optional) {
    const dep = resolve(name, at);
    if (dep && fs.existsSync(dep)) pending.push(dep);
  }
}

for (const at of [...keep].sort()) {
  fs.cpSync(at, path.join(outDir, at), { recursive: true, verbatimSymlinks: true });
  console.log(`kept ${at}`);
}
