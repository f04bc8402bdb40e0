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

/** True when every pair of `selector` is among `labels`. */
export function selects(
  selector: Record<string, string>,
  labels: Record<string, string> = {},
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
