import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { root } from './repo-files';

/** Absolute path of an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * The path of a tool the deploy checks need. A missing tool fails the test
 * with the Debian package that provides it, rather than passing silently.
 */
export function requireTool(name: string, debianPackage: string): string {
  const found = which(name);
  if (!found) {
    throw new Error(
      `${name} is not installed: it checks the deploy files. ` +
        `Install it with: apt-get install -y --no-install-recommends ` +
        `${debianPackage}`,
    );
  }
  return found;
}

export interface RunResult {
  status: number | null;
  output: string;
}

/**
 * Renders a kustomization folder with `kustomize build`, or the kustomize
 * kubectl embeds; undefined when neither is installed (neither npm nor
 * Debian's bookworm packages ship kustomize).
 */
export function kustomizeBuilder(): ((dir: string) => RunResult) | undefined {
  const kustomize = which('kustomize');
  if (kustomize) return (dir) => run(kustomize, ['build', dir]);
  const kubectl = which('kubectl');
  if (kubectl) return (dir) => run(kubectl, ['kustomize', dir]);
  return undefined;
}

/** Runs a command from the repository root, with a time limit. */
export function run(command: string, args: string[]): RunResult {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return {
    status: result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim(),
  };
}
