import { readYaml, readYamlDocuments } from './repo-files';

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface LoadedResource {
  file: string;
  resource: Resource;
}

export const baseDir = 'k8s/base';

interface Kustomization {
  resources?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean }[];
}

const kustomization = () =>
  readYaml(baseDir, 'kustomization.yaml') as Kustomization;

/** The `resources:` list of the base kustomization. */
export function kustomizationResources(): string[] {
  return kustomization().resources ?? [];
}

/**
 * Every manifest document the base kustomization lists, with the labels
 * its `labels:` entries add to each object's metadata (as kustomize does
 * when includeSelectors is false), so checks see what gets applied.
 */
export function loadBase(): LoadedResource[] {
  const { labels = [] } = kustomization();
  if (labels.some((entry) => entry.includeSelectors !== false)) {
    throw new Error('k8s-resources: only includeSelectors: false is modelled');
  }
  const added = Object.assign({}, ...labels.map((entry) => entry.pairs));

  return kustomizationResources().flatMap((file) =>
    readYamlDocuments(baseDir, file).map((doc) => {
      const resource = doc as Resource;
      resource.metadata.labels = { ...resource.metadata.labels, ...added };
      return { file, resource };
    }),
  );
}

export function ofKind(all: LoadedResource[], kind: string): Resource[] {
  return all.filter((r) => r.resource.kind === kind).map((r) => r.resource);
}

/**
 * How long a container's preStop hook holds off SIGTERM, in ms: a
 * `sleep` action, or an exec of `sleep N`. Another hook counts as 0.
 */
export function preStopMs(container: {
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: any } };
}): number {
  const hook = container.lifecycle?.preStop;
  if (hook?.sleep) return hook.sleep.seconds * 1000;
  const [program, seconds, ...rest] = hook?.exec?.command ?? [];
  if (program !== 'sleep' || rest.length > 0) return 0;
  return /^\d+$/.test(seconds) ? Number(seconds) * 1000 : 0;
}

/** Bytes of a Kubernetes quantity such as `12Gi`, `500M` or `1024`. */
export function quantityBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKMGTPE]i?)?$/.exec(quantity);
  if (!match) throw new Error(`not a byte quantity: ${quantity}`);
  const [, amount, unit = ''] = match;
  const power = ' KMGTPE'.indexOf((unit[0] ?? ' ').toUpperCase());
  const base = unit.endsWith('i') ? 1024 : 1000;
  return Number(amount) * base ** power;
}

/** True when every pair of `selector` is among `labels`. */
export function selects(
  selector: Record<string, string>,
  labels: Record<string, string> = {},
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
