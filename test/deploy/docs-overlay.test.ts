// The overlay docs/deploy.md tells operators to write, taken from the page
// and rendered against the base as they would: it must set the image it
// names and carry no Secret that would replace theirs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { baseDir, loadBase, ofKind } from './k8s-resources';
import { readText, repoPath } from './repo-files';
import { kustomizeBuilder } from './tools';

const DOC = 'docs/deploy.md';

interface Overlay {
  namespace?: string;
  resources: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

/** The page's one YAML block that is a Kustomization. */
function overlayFromDocs(): { text: string; overlay: Overlay } {
  const blocks = [...readText(DOC).matchAll(/^```yaml\n([\s\S]*?)^```$/gm)]
    .map((m) => m[1])
    .filter((text) => /^kind: Kustomization$/m.test(text));
  assert.equal(blocks.length, 1, `${DOC}: one example overlay`);
  return { text: blocks[0], overlay: parse(blocks[0]) as Overlay };
}

const { text, overlay } = overlayFromDocs();
const [imageEntry] = overlay.images ?? [];

describe(`the overlay of ${DOC}`, () => {
  test('rewrites the image name the base Deployments use', () => {
    assert.ok(imageEntry?.newName && imageEntry.newTag, 'name and tag');
    for (const d of ofKind(loadBase(), 'Deployment')) {
      for (const c of d.spec.template.spec.containers) {
        assert.equal(c.image, imageEntry.name, d.metadata.name);
      }
    }
  });

  const build = kustomizeBuilder();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-overlay-'));
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  test('renders with the image and without a Secret', {
    skip: build ? false : 'no kustomize or kubectl',
  }, () => {
    // Laid out as the page says: k8s/overlays/prod beside k8s/base.
    const overlayDir = path.join(scratch, 'k8s/overlays/prod');
    fs.mkdirSync(overlayDir, { recursive: true });
    fs.writeFileSync(path.join(overlayDir, 'kustomization.yaml'), text);
    assert.deepEqual(overlay.resources, ['../../base']);
    fs.cpSync(repoPath(baseDir), path.join(scratch, baseDir), {
      recursive: true,
    });

    const result = (build as NonNullable<typeof build>)(overlayDir);
    assert.equal(result.status, 0, result.output);
    const rendered = parseAllDocuments(result.output).map((doc) => doc.toJS());

    const deployments = rendered.filter((r) => r.kind === 'Deployment');
    assert.equal(deployments.length, 3);
    const wanted = `${imageEntry.newName}:${imageEntry.newTag}`;
    for (const d of deployments) {
      for (const c of d.spec.template.spec.containers) {
        assert.equal(c.image, wanted, d.metadata.name);
      }
    }

    // The operator's Secret stays theirs: nothing to overwrite it with.
    assert.deepEqual(rendered.filter((r) => r.kind === 'Secret'), []);
    assert.doesNotMatch(result.output, /CHANGE-ME/);

    for (const r of rendered) {
      assert.equal(r.metadata.namespace, overlay.namespace, r.metadata.name);
    }
    const [monitor] = rendered.filter((r) => r.kind === 'ServiceMonitor');
    assert.ok(monitor.metadata.labels.release, 'a label Prometheus selects');

    // One Prometheus often scrapes several environments: the transcoders
    // scale on their own namespace's backlog, not on another's.
    const [scaler] = rendered.filter((r) => r.kind === 'ScaledObject');
    const [trigger] = scaler.spec.triggers;
    assert.ok(
      trigger.metadata.query.includes(
        `ingest_queue_jobs{namespace="${overlay.namespace}",`,
      ),
      trigger.metadata.query,
    );
  });
});
