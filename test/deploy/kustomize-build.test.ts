import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { baseDir, kustomizationResources } from './k8s-resources';
import { repoPath } from './repo-files';
import { kustomizeBuilder } from './tools';

describe('k8s kustomization', () => {
  test('every listed resource exists', () => {
    const resources = kustomizationResources();
    assert.ok(resources.length > 0);
    const missing = resources.filter(
      (file) => !fs.existsSync(repoPath(baseDir, file)),
    );
    assert.deepEqual(missing, []);
  });

  // Where neither kustomize nor kubectl is installed, the test above is
  // the check.
  const build = kustomizeBuilder();
  const skip = build ? false : 'no kustomize or kubectl';

  test('kustomize builds the base', { skip }, () => {
    const result = (build as NonNullable<typeof build>)(baseDir);
    assert.equal(result.status, 0, result.output);

    const kinds = parseAllDocuments(result.output)
      .map((doc) => doc.toJS()?.kind as string)
      .sort();
    assert.deepEqual(kinds, [
      'ConfigMap',
      'Deployment',
      'Deployment',
      'Deployment',
      'PodDisruptionBudget',
      'PodDisruptionBudget',
      'PodDisruptionBudget',
      'ScaledObject',
      'Service',
      'Service',
      'Service',
      'ServiceMonitor',
    ]);
  });
});
