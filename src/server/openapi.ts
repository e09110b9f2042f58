import { createHash } from 'node:crypto';
/**
 * The OpenAPI v3 documents kubectl reads to validate and apply a Lease: the group's document
 * describes Lease, LeaseSpec, ObjectMeta and the MicroTime format.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const string = { type: 'string', default: '' };
const int32 = { type: 'integer', format: 'int32' };
const microTime = { type: 'string', format: 'date-time' };
const stringMap = { type: 'object', additionalProperties: { type: 'string', default: '' } };

const schemas = {
  'io.k8s.api.coordination.v1.Lease': {
    description: 'Lease defines a lease concept.',
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { allOf: [ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')], default: {} },
      spec: { allOf: [ref('io.k8s.api.coordination.v1.LeaseSpec')], default: {} },
    },
    'x-kubernetes-group-version-kind': [{ group: 'coordination.k8s.io', kind: 'Lease', version: 'v1' }],
  },
  'io.k8s.api.coordination.v1.LeaseSpec': {
    description: 'LeaseSpec is a specification of a Lease.',
    type: 'object',
    properties: {
      acquireTime: { allOf: [ref('io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime')] },
      holderIdentity: { type: 'string' },
      leaseDurationSeconds: int32,
      leaseTransitions: int32,
      preferredHolder: { type: 'string' },
      renewTime: { allOf: [ref('io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime')] },
      strategy: { type: 'string' },
    },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': microTime,
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    type: 'object',
    properties: {
      annotations: stringMap,
      creationTimestamp: { type: 'string', format: 'date-time' },
      generateName: { type: 'string' },
      labels: stringMap,
      name: string,
      namespace: { type: 'string' },
      resourceVersion: { type: 'string' },
      uid: { type: 'string' },
    },
  },
};


const gvk = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' };
const queryParameter = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
const pathParameter = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string', uniqueItems: true } });
const operation = (action: string, parameters: unknown[] = []) => ({
  parameters,
  'x-kubernetes-action': action,
  'x-kubernetes-group-version-kind': gvk,
  responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref('io.k8s.api.coordination.v1.Lease') } } } },
});

/*
 * kubectl checks server-side field validation through the PATCH operation carrying the Lease GVK
 * and a fieldValidation parameter; without them it falls back to OpenAPI v2.
 */
const paths = {
  '/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}': {
    parameters: [pathParameter('name'), pathParameter('namespace')],
    get: operation('get'),
    put: operation('put', [queryParameter('fieldManager'), queryParameter('fieldValidation')]),
    patch: operation('patch', [queryParameter('fieldManager'), queryParameter('fieldValidation'), queryParameter('force')]),
    delete: operation('delete'),
  },
  '/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases': {
    parameters: [pathParameter('namespace')],
    get: operation('list'),
    post: operation('post', [queryParameter('fieldManager'), queryParameter('fieldValidation')]),
  },
};

export const coordinationOpenApi = {
  openapi: '3.0.0',
  info: { title: 'Kubernetes', version: 'v1.33.0' },
  paths,
  components: { schemas },
};

/** Clients cache group documents by `hash`: it must change whenever the document does. */
const hash = createHash('sha256').update(JSON.stringify(coordinationOpenApi)).digest('hex').slice(0, 32).toUpperCase();

export const openApiIndex = {
  paths: {
    'apis/coordination.k8s.io/v1': { serverRelativeURL: `/openapi/v3/apis/coordination.k8s.io/v1?hash=${hash}` },
  },
};
