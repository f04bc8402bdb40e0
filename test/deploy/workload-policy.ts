// The project's own rules for its Deployments (issue 5 and SPEC §6), as a
// JSON Schema checked with ajv. The Kubernetes schema accepts a Deployment
// without probes or limits; this one does not.
import { Ajv2020 } from 'ajv/dist/2020';
import { SERVICE_NODE_FLAGS } from '@ingest/build';

const httpProbe = (path: string) => ({
  type: 'object',
  required: ['httpGet'],
  properties: {
    httpGet: {
      type: 'object',
      required: ['path', 'port'],
      properties: { path: { const: path } },
    },
  },
});

const container = {
  type: 'object',
  required: [
    'name',
    'image',
    'command',
    'livenessProbe',
    'readinessProbe',
    'resources',
    'securityContext',
  ],
  properties: {
    image: { const: 'catalog-ingest' },
    command: {
      type: 'array',
      prefixItems: ['node', ...SERVICE_NODE_FLAGS].map((part) => ({
        const: part,
      })),
      minItems: SERVICE_NODE_FLAGS.length + 2,
      maxItems: SERVICE_NODE_FLAGS.length + 2,
    },
    livenessProbe: httpProbe('/healthz'),
    readinessProbe: httpProbe('/readyz'),
    resources: {
      type: 'object',
      required: ['requests', 'limits'],
      properties: {
        requests: {
          type: 'object',
          required: ['cpu', 'memory', 'ephemeral-storage'],
        },
        limits: { type: 'object', required: ['memory', 'ephemeral-storage'] },
      },
    },
    securityContext: {
      type: 'object',
      required: ['allowPrivilegeEscalation', 'readOnlyRootFilesystem'],
      properties: {
        allowPrivilegeEscalation: { const: false },
        readOnlyRootFilesystem: { const: true },
      },
    },
  },
};

export const deploymentPolicy = {
  $id: 'catalog-ingest/deployment-policy',
  type: 'object',
  required: ['metadata', 'spec'],
  properties: {
    metadata: {
      type: 'object',
      required: ['labels'],
      properties: {
        labels: {
          type: 'object',
          required: ['app.kubernetes.io/name', 'app.kubernetes.io/component'],
        },
      },
    },
    spec: {
      type: 'object',
      required: ['selector', 'template'],
      properties: {
        template: {
          type: 'object',
          required: ['spec'],
          properties: {
            spec: {
              type: 'object',
              required: [
                'terminationGracePeriodSeconds',
                'automountServiceAccountToken',
                'securityContext',
                'containers',
              ],
              properties: {
                terminationGracePeriodSeconds: { type: 'integer' },
                // No service talks to the Kubernetes API: a token in the
                // pod would only serve whoever breaks into it.
                automountServiceAccountToken: { const: false },
                securityContext: {
                  type: 'object',
                  required: ['runAsNonRoot', 'runAsUser'],
                  properties: {
                    runAsNonRoot: { const: true },
                    runAsUser: { type: 'integer', minimum: 1 },
                  },
                },
                containers: {
                  type: 'array',
                  minItems: 1,
                  maxItems: 1,
                  items: container,
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv2020({ allErrors: true, strictTuples: false });
const validate = ajv.compile(deploymentPolicy);

/** Where a Deployment breaks the project's rules, one line per problem. */
export function policyErrors(deployment: unknown): string[] {
  if (validate(deployment)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message}`,
  );
}
