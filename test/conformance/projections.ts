/**
 * Named views of an answer, for documents only partly about Leases and Events: of discovery and
 * OpenAPI, the Lease- and Event-related parts (kinds, verbs, short names, field names and types,
 * whether a description is present), never the whole documents; of lists, the names in order; of
 * an access review, its decision. A step names one as `project: "name:argument"`.
 */

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const sorted = (value: Json) => (Array.isArray(value) ? [...value].map(String).sort() : value);

const PROJECTIONS: Record<string, (body: Json, argument: string) => Json> = {
  /** An APIResourceList's entry for one resource: what kubectl reads to find and use it. */
  resource(body, name) {
    const found = isObject(body) && Array.isArray(body.resources) ? (body.resources as JsonObject[]).find((resource) => resource.name === name) : undefined;
    if (!found) return { missing: name };
    return { groupVersion: (body as JsonObject).groupVersion, name: found.name, singularName: found.singularName, namespaced: found.namespaced, kind: found.kind, verbs: sorted(found.verbs), shortNames: sorted(found.shortNames ?? []) };
  },
  /** An APIGroupList's entry for one group (or an APIGroup itself when the argument is empty). */
  group(body, name) {
    const found = name && isObject(body) && Array.isArray(body.groups) ? (body.groups as JsonObject[]).find((group) => group.name === name) : body;
    if (!isObject(found)) return { missing: name };
    return { name: found.name, versions: found.versions, preferredVersion: found.preferredVersion };
  },
  /** One resource of aggregated discovery (APIGroupDiscoveryList, what kubectl 1.26+ asks for first): "group/resource". */
  aggregated(body, argument) {
    const [group, resource] = argument.split('/');
    if (!isObject(body) || body.kind !== 'APIGroupDiscoveryList') return { kind: isObject(body) ? body.kind : typeof body };
    const item = (body.items as JsonObject[]).find((entry) => (entry.metadata as JsonObject | undefined)?.name === group);
    const version = (item?.versions as JsonObject[] | undefined)?.find((entry) => entry.version === 'v1');
    const found = (version?.resources as JsonObject[] | undefined)?.find((entry) => entry.resource === resource);
    if (!found) return { kind: body.kind, missing: argument };
    return { kind: body.kind, resource: found.resource, responseKind: found.responseKind, scope: found.scope, singularResource: found.singularResource, verbs: sorted(found.verbs), shortNames: sorted(found.shortNames ?? []) };
  },
  /** A Namespace's kind, name and phase. */
  namespace(body) {
    if (!isObject(body)) return body;
    return { kind: body.kind, name: (body.metadata as JsonObject | undefined)?.name, phase: (body.status as JsonObject | undefined)?.phase };
  },
  /** The fields a document has, not their values (a version document names each server's own build). */
  keys(body) {
    return isObject(body) ? Object.keys(body).sort() : body;
  },
  /** Whether the core API lists v1 (the addresses it gives clients are the server's own). */
  coreVersions(body) {
    return isObject(body) ? { kind: body.kind, versions: body.versions } : body;
  },
  /** An OpenAPI v2 definition's shape. */
  openapiV2(body, definition) {
    const definitions = isObject(body) ? (body.definitions as JsonObject | undefined) : undefined;
    return schemaShape(definitions?.[definition], definition);
  },
  /** An OpenAPI v3 document's schema (the document is the one the step fetched). */
  openapiV3(body, schema) {
    const schemas = isObject(body) && isObject(body.components) ? (body.components.schemas as JsonObject | undefined) : undefined;
    return schemaShape(schemas?.[schema], schema);
  },
  /** The operations a document offers on the paths under a prefix that name one resource (the deprecated /watch/ paths aside). */
  openapiOperations(body, prefix) {
    const paths = isObject(body) && isObject(body.paths) ? body.paths : {};
    const shown: JsonObject = {};
    for (const [path, item] of Object.entries(paths)) {
      if (!path.startsWith(prefix) || path.includes('/watch/') || !isObject(item)) continue;
      shown[path] = Object.keys(item).filter((key) => ['get', 'put', 'post', 'patch', 'delete'].includes(key)).sort();
    }
    return shown;
  },
  /** The OpenAPI v3 index entry for a group version. */
  openapiIndex(body, path) {
    const paths = isObject(body) && isObject(body.paths) ? body.paths : {};
    return { listed: path in paths };
  },
  /** Names of a list's items (or a Table's rows), in order, with the list's kind and continue. */
  names(body) {
    if (!isObject(body)) return body;
    const items = (Array.isArray(body.items) ? body.items : Array.isArray(body.rows) ? (body.rows as JsonObject[]).map((row) => row.object) : []) as JsonObject[];
    const metadata = (body.metadata ?? {}) as JsonObject;
    return { kind: body.kind, names: items.map((item) => (item?.metadata as JsonObject | undefined)?.name), continue: metadata.continue ?? null, remainingItemCount: metadata.remainingItemCount ?? null };
  },
  /** A review's decision. */
  decision(body) {
    if (!isObject(body) || body.kind === 'Status') return body;
    const status = (body.status ?? {}) as JsonObject;
    return { kind: body.kind, apiVersion: body.apiVersion, allowed: status.allowed ?? false, denied: status.denied ?? false };
  },
};

/** Field names and types, refs, required fields and whether each has a description. */
function schemaShape(schema: Json, name: string): Json {
  if (!isObject(schema)) return { missing: name };
  const fieldShape = (field: Json): Json => {
    if (!isObject(field)) return field;
    // v3 wraps a described reference in allOf.
    const wrapped = Array.isArray(field.allOf) && isObject(field.allOf[0]) ? field.allOf[0].$ref : undefined;
    const target = field.$ref ?? wrapped;
    const ref = typeof target === 'string' ? target.split('/').pop() : undefined;
    return {
      ...(field.type ? { type: field.type } : {}),
      ...(field.format ? { format: field.format } : {}),
      ...(ref ? { ref } : {}),
      ...(field.items ? { items: fieldShape(field.items) } : {}),
      ...(field.additionalProperties ? { values: fieldShape(field.additionalProperties) } : {}),
      described: typeof field.description === 'string' && field.description.length > 0,
    };
  };
  const properties = isObject(schema.properties) ? schema.properties : {};
  return {
    type: schema.type ?? null,
    format: schema.format ?? null,
    described: typeof schema.description === 'string' && schema.description.length > 0,
    required: sorted(schema.required ?? []),
    gvk: schema['x-kubernetes-group-version-kind'] ?? null,
    properties: Object.fromEntries(Object.keys(properties).sort().map((field) => [field, fieldShape(properties[field])])),
  };
}

export function project(body: Json, projection: string): Json {
  const [name, ...rest] = projection.split(':');
  const view = PROJECTIONS[name!];
  if (!view) throw new Error(`no projection "${name}" (known: ${Object.keys(PROJECTIONS).join(', ')})`);
  return view(body, rest.join(':'));
}
