/**
 * Bundles each service into one JavaScript file, `dist/<name>.mjs`, which
 * plain `node` runs: `npm start`, the tests, the container and the
 * manifests all run these. The project's own packages (@ingest/*) are
 * compiled in; every other package stays an import, resolved from
 * node_modules at run time as usual.
 *
 * Why bundle rather than run the TypeScript through tsx: tsx's loader
 * runs in a worker thread with its own V8 heap, about 30 MiB on every
 * service (gateway idle 150 → 122 MiB), and it compiles every file at
 * each start. esbuild (the compiler tsx itself uses) bundles the three
 * services in a fraction of a second, so every start builds afresh and
 * nothing can run stale code. Types are checked by `npm run typecheck`,
 * not here.
 *
 *   node --import tsx packages/build/src/build-services.ts   (npm run build)
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { requiredPackages } from './required-packages';

export { requiredPackages };

export const SERVICES = ['gateway', 'transcoder', 'notifier'] as const;
export type BuiltService = (typeof SERVICES)[number];

const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../..',
);
export const DIST_DIR = path.join(ROOT, 'dist');

/**
 * The node options every service runs with (here, the container, the
 * manifests and the tests alike; test/deploy checks they agree).
 * `--max-semi-space-size=1` (MiB) keeps V8's young generation small: a
 * service streaming a large source turns each network chunk into garbage
 * at once, and with the default 16 MiB semi-space ~30 MiB of it waited
 * for a collection (gateway fetching 1 GiB: RSS 130 → 161 MiB; with 1 MiB,
 * 102 → 122 MiB). Collections are more frequent and each is smaller.
 */
export const SERVICE_NODE_FLAGS = [
  '--enable-source-maps',
  '--max-semi-space-size=1',
] as const;

/** The bundle that runs a service. */
export function bundlePath(name: BuiltService): string {
  return path.join(DIST_DIR, `${name}.mjs`);
}

/** Our packages are compiled in; any other package is imported. */
const ownPackagesOnly: Plugin = {
  name: 'own-packages-only',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@ingest/')
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

/**
 * Writes the three bundles (with source maps) and `dist/externals.json`,
 * the packages they import or createRequire, which the container build
 * checks are there.
 * Each file is written beside its target and renamed into place, so a
 * process starting meanwhile reads a whole old or a whole new bundle.
 */
export async function buildServices(): Promise<void> {
  await mkdir(DIST_DIR, { recursive: true });
  const externals = new Set<string>();
  const sources = new Set<string>();
  for (const name of SERVICES) {
    const result = await build({
      entryPoints: [path.join(ROOT, 'services', name, 'src', 'main.ts')],
      outfile: bundlePath(name),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      metafile: true,
      absWorkingDir: ROOT,
      write: false,
      logLevel: 'warning',
      plugins: [ownPackagesOnly],
    });
    for (const file of result.outputFiles) {
      const temp = `${file.path}.${process.pid}.tmp`;
      await writeFile(temp, file.contents);
      await rename(temp, file.path);
    }
    for (const name of importedPackages(result.metafile)) externals.add(name);
    for (const input of Object.keys(result.metafile.inputs)) {
      if (input.endsWith('.ts')) sources.add(path.join(ROOT, input));
    }
  }
  for (const name of await requiredPackages([...sources])) externals.add(name);
  const list = path.join(DIST_DIR, 'externals.json');
  await writeFile(`${list}.${process.pid}.tmp`, JSON.stringify([...externals].sort()));
  await rename(`${list}.${process.pid}.tmp`, list);
}

/** Package names (not node: builtins) the bundles import. */
function importedPackages(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const { path: spec, external } of output.imports) {
      if (!external || isBuiltin(spec)) continue;
      const parts = spec.split('/');
      names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
    }
  }
  return [...names];
}

let built: Promise<void> | undefined;

/** Builds once per process, for code that starts services. */
export function ensureServicesBuilt(): Promise<void> {
  built ??= buildServices();
  return built;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  buildServices().then(
    () => console.log(`services bundled into ${path.relative(ROOT, DIST_DIR)}/`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
