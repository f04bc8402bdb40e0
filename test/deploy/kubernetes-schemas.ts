// Schema validation of Kubernetes manifests by apiVersion and kind.
//
// The validators come from npm packages of the kubernetes-models project:
// kubernetes-models (built-in kinds, generated from the Kubernetes OpenAPI
// spec), @kubernetes-models/keda (the KEDA CRDs' openAPIV3Schema) and
// @kubernetes-models/prometheus-operator (the prometheus-operator CRDs'
// openAPIV3Schema). Each package ships its JSON Schemas compiled ahead of
// time by ajv (standalone code), so the checks are ajv's; the raw schemas
// themselves are not in the packages. Like the API server's schema, they
// check types, enums, formats and required fields, not unknown fields.
import {
  ScaledObject,
  TriggerAuthentication,
} from '@kubernetes-models/keda/keda.sh/v1alpha1';
import {
  PodMonitor,
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';

interface Validating {
  validate(): void;
}

type Model = new (data: never) => Validating;

const models: Record<string, Model> = {};

function register(apiVersion: string, kinds: Record<string, unknown>) {
  for (const [kind, model] of Object.entries(kinds)) {
    models[`${apiVersion}/${kind}`] = model as Model;
  }
}

register('v1', {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
});
register('apps/v1', { Deployment, StatefulSet });
register('autoscaling/v2', { HorizontalPodAutoscaler });
register('networking.k8s.io/v1', { Ingress, NetworkPolicy });
register('policy/v1', { PodDisruptionBudget });
register('keda.sh/v1alpha1', { ScaledObject, TriggerAuthentication });
register('monitoring.coreos.com/v1', {
  PodMonitor,
  PrometheusRule,
  ServiceMonitor,
});

/** The schema errors of one manifest; a kind without a schema is one. */
export function schemaErrors(doc: {
  apiVersion?: string;
  kind?: string;
}): string[] {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const Model = models[key];
  if (!Model) return [`no schema registered for ${key}`];

  try {
    new Model(doc as never).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}
