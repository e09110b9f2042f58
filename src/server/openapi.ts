/**
 * The OpenAPI documents kubectl reads to validate, dry-run, apply and explain: v2 (one document,
 * JSON or gnostic protobuf, which kubectl 1.20 needs) and v3 (one document per group version, found
 * through the /openapi/v3 index). Both come from the same definitions and resource list.
 */
import { createHash } from 'node:crypto';
import { CORE_EVENT, CORE_EVENT_LIST, type Definition, definitions, EVENT_V1, EVENT_V1_LIST, type Field, LEASE, LEASE_LIST } from './openapiSchemas.js';

/** A resource as the documents describe it: its paths, operations and kinds. */
interface ResourceDocument {
  group: string;
  version: string;
  plural: string;
  kind: string;
  listKind: string;
  definition: string;
  listDefinition: string;
}

const leaseDocument: ResourceDocument = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  listKind: 'LeaseList',
  definition: LEASE,
  listDefinition: LEASE_LIST,
};

const documentedResources: ResourceDocument[] = [
  leaseDocument,
  { group: '', version: 'v1', plural: 'events', kind: 'Event', listKind: 'EventList', definition: CORE_EVENT, listDefinition: CORE_EVENT_LIST},
  { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', listKind: 'EventList', definition: EVENT_V1, listDefinition: EVENT_V1_LIST},
];

const RESOURCE_LIST = 'io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList';

type Parameter = { name: string; in: 'query' | 'path' | 'body'; description: string; type?: string; required?: boolean; schema?: unknown };

const query = (name: string, description: string, type = 'string'): Parameter => ({ name, in: 'query', description, type });
const WRITE = [
  query('dryRun', 'All: admit and validate the request and answer it, but store nothing.'),
  query('fieldManager', 'Who makes the change, recorded in managedFields.'),
  query('fieldValidation', 'Ignore, Warn (the default) or Strict: what to do with unknown fields.'),
];
const LIST = [
  query('allowWatchBookmarks', 'Ask for BOOKMARK events on a watch.', 'boolean'),
  query('fieldSelector', 'Select by metadata.name or metadata.namespace.'),
  query('labelSelector', 'Select by labels (key=value, key!=value).'),
  query('resourceVersion', 'Where a list is read or a watch starts.'),
  query('resourceVersionMatch', 'How resourceVersion is matched: NotOlderThan or Exact.'),
  query('sendInitialEvents', 'Start a watch with the current objects as ADDED events, then a BOOKMARK.', 'boolean'),
  query('timeoutSeconds', 'End a watch after this many seconds.', 'integer'),
  query('watch', 'Watch changes instead of listing.', 'boolean'),
];
const body = (schema: string): Parameter => ({ name: 'body', in: 'body', required: true, description: 'The object.', schema: { $ref: `#/definitions/${schema}` } });
const path = (name: string, description: string): Parameter => ({ name, in: 'path', required: true, type: 'string', description });

interface Operation {
  action: string;
  description: string;
  parameters: Parameter[];
  returns: string;
  consumes?: string[];
}

/** Path → method → operation, for one resource. */
function operationsOf(resource: ResourceDocument): Record<string, { parameters: Parameter[]; methods: Record<string, Operation> }> {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const { plural, kind, definition, listDefinition } = resource;
  const namespace = path('namespace', 'The namespace of the objects.');
  const name = path('name', `The name of the ${kind}.`);
  const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
  return {
    // The group version's resource list, as kube-apiserver documents it.
    [`${base}/`]: {
      parameters: [],
      methods: { get: { action: 'get', description: 'The resources of this group version.', parameters: [], returns: RESOURCE_LIST } },
    },
    [`${base}/${plural}`]: {
      parameters: [],
      methods: { get: { action: 'list', description: `List or watch ${kind} objects in every namespace.`, parameters: LIST, returns: listDefinition } },
    },
    [`${base}/namespaces/{namespace}/${plural}`]: {
      parameters: [namespace],
      methods: {
        get: { action: 'list', description: `List or watch ${kind} objects.`, parameters: LIST, returns: listDefinition },
        post: { action: 'post', description: `Create a ${kind}.`, parameters: [body(definition), ...WRITE], returns: definition },
        delete: { action: 'deletecollection', description: `Delete the selected ${kind} objects.`, parameters: [query('dryRun', WRITE[0]!.description), ...LIST.slice(1, 3)], returns: listDefinition },
      },
    },
    [`${base}/namespaces/{namespace}/${plural}/{name}`]: {
      parameters: [name, namespace],
      methods: {
        get: { action: 'get', description: `Read a ${kind}.`, parameters: [], returns: definition },
        put: { action: 'put', description: `Replace a ${kind}, conditional on its resourceVersion.`, parameters: [body(definition), ...WRITE], returns: definition },
        patch: {
          action: 'patch',
          description: `Patch a ${kind}: JSON patch, merge patch, strategic merge patch or server-side apply.`,
          parameters: [{ ...body(definition), schema: { type: 'object' } }, ...WRITE, query('force', 'Server-side apply: take the fields other managers own.', 'boolean')],
          returns: definition,
          consumes: patchTypes,
        },
        delete: { action: 'delete', description: `Delete a ${kind}.`, parameters: [query('dryRun', WRITE[0]!.description)], returns: 'io.k8s.apimachinery.pkg.apis.meta.v1.Status' },
      },
    },
  };
}

// ---- OpenAPI v2 ---------------------------------------------------------------------------------

function v2Field(field: Field): Record<string, unknown> {
  const described = field.description ? { description: field.description } : {};
  if (field.ref) return { ...described, $ref: `#/definitions/${field.ref}` };
  if (field.map) return { ...described, type: 'object', additionalProperties: v2Field(field.items!) };
  if (field.type === 'array') return { ...described, type: 'array', items: v2Field(field.items!) };
  return { ...described, type: field.type, ...(field.format ? { format: field.format } : {}) };
}

function v2Definition(definition: Definition): Record<string, unknown> {
  return {
    description: definition.description,
    type: definition.type,
    ...(definition.format ? { format: definition.format } : {}),
    ...(definition.required ? { required: definition.required } : {}),
    ...(definition.properties ? { properties: Object.fromEntries(Object.entries(definition.properties).map(([key, field]) => [key, v2Field(field)])) } : {}),
    ...(definition.gvk ? { 'x-kubernetes-group-version-kind': definition.gvk } : {}),
  };
}

function v2Paths(): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const resource of documentedResources) {
    for (const [route, { parameters, methods }] of Object.entries(operationsOf(resource))) {
      const item: Record<string, unknown> = {};
      for (const [method, operation] of Object.entries(methods)) {
        item[method] = {
          description: operation.description,
          consumes: operation.consumes ?? ['*/*'],
          produces: ['application/json', 'application/yaml'],
          schemes: ['https'],
          tags: [`${resource.group.split('.')[0] || 'core'}_${resource.version}`],
          operationId: `${operation.action}${resource.kind}`,
          parameters: operation.parameters,
          responses: { '200': { description: 'OK', schema: { $ref: `#/definitions/${operation.returns}` } }, '401': { description: 'Unauthorized' } },
          'x-kubernetes-action': operation.action,
          'x-kubernetes-group-version-kind': { group: resource.group, version: resource.version, kind: resource.kind },
        };
      }
      if (parameters.length > 0) item.parameters = parameters;
      paths[route] = item;
    }
  }
  return paths;
}

const STATUS: Definition = { description: 'The outcome of a request that returns no object.', type: 'object' };
const RESOURCE_LIST_DEFINITION: Definition = { description: 'The resources a group version serves, with their verbs.', type: 'object' };
const served = { ...definitions, 'io.k8s.apimachinery.pkg.apis.meta.v1.Status': STATUS, [RESOURCE_LIST]: RESOURCE_LIST_DEFINITION };

export const openApiV2 = {
  swagger: '2.0',
  info: { title: 'Kubernetes', version: 'v1.33.0' },
  paths: v2Paths(),
  definitions: Object.fromEntries(
    Object.entries(served).map(([key, definition]) => [key, v2Definition(definition)]),
  ),
};

// ---- OpenAPI v3 ---------------------------------------------------------------------------------

const v3Ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function v3Field(field: Field): Record<string, unknown> {
  const described = field.description ? { description: field.description } : {};
  if (field.ref) return { ...described, allOf: [v3Ref(field.ref)] };
  if (field.map) return { ...described, type: 'object', additionalProperties: { ...v3Field(field.items!), default: '' } };
  if (field.type === 'array') return { ...described, type: 'array', items: v3Field(field.items!) };
  return { ...described, type: field.type, ...(field.format ? { format: field.format } : {}) };
}

function v3Schema(definition: Definition): Record<string, unknown> {
  const { properties, gvk, ...rest } = definition;
  return {
    ...rest,
    ...(properties ? { properties: Object.fromEntries(Object.entries(properties).map(([key, field]) => [key, v3Field(field)])) } : {}),
    ...(gvk ? { 'x-kubernetes-group-version-kind': gvk } : {}),
  };
}

function v3Parameter(parameter: Parameter): Record<string, unknown> {
  return {
    name: parameter.name,
    in: parameter.in,
    description: parameter.description,
    ...(parameter.required ? { required: true } : {}),
    schema: { type: parameter.type ?? 'string', uniqueItems: true },
  };
}

/*
 * kubectl checks server-side field validation through the PATCH operation carrying the GVK and a
 * fieldValidation parameter; without them it falls back to OpenAPI v2.
 */
function v3GroupDocument(resources: ResourceDocument[]) {
  const paths: Record<string, unknown> = {};
  for (const resource of resources) {
    for (const [route, { parameters, methods }] of Object.entries(operationsOf(resource))) {
      const item: Record<string, unknown> = { parameters: parameters.map(v3Parameter) };
      for (const [method, operation] of Object.entries(methods)) {
        const bodyParameter = operation.parameters.find((p) => p.in === 'body');
        item[method] = {
          description: operation.description,
          operationId: `${operation.action}${resource.kind}`,
          parameters: operation.parameters.filter((p) => p.in !== 'body').map(v3Parameter),
          ...(bodyParameter
            ? { requestBody: { content: Object.fromEntries((operation.consumes ?? ['*/*']).map((type) => [type, { schema: v3Ref(resource.definition) }])), required: true } }
            : {}),
          responses: { '200': { description: 'OK', content: { 'application/json': { schema: v3Ref(operation.returns) } } } },
          'x-kubernetes-action': operation.action,
          'x-kubernetes-group-version-kind': { group: resource.group, version: resource.version, kind: resource.kind },
        };
      }
      paths[route] = item;
    }
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.33.0' },
    paths,
    components: {
      schemas: Object.fromEntries(
        Object.entries(served).map(([key, definition]) => [key, v3Schema(definition)]),
      ),
    },
  };
}

const groupPath = (resource: ResourceDocument) => (resource.group === '' ? `api/${resource.version}` : `apis/${resource.group}/${resource.version}`);

/** The v3 document of each group version, by its path under /openapi/v3/. */
export const openApiV3Documents: Record<string, unknown> = {};
for (const resource of documentedResources) {
  const key = groupPath(resource);
  openApiV3Documents[key] = v3GroupDocument(documentedResources.filter((r) => groupPath(r) === key));
}

/** Clients cache group documents by `hash`: it changes whenever the document does. */
const hashOf = (document: unknown) => createHash('sha256').update(JSON.stringify(document)).digest('hex').slice(0, 32).toUpperCase();

export const openApiIndex = {
  paths: Object.fromEntries(
    Object.entries(openApiV3Documents).map(([key, document]) => [key, { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(document)}` }]),
  ),
};
