/**
 * Routing: which document, review or resource endpoint a request's method and path name, and the
 * Kubernetes verb (RBAC's vocabulary) it stands for. Path segments are percent-decoded here;
 * malformed encoding is a 400.
 */
import type { IncomingMessage } from 'node:http';
import * as discovery from './discovery.js';
import { flag } from './encoding.js';
import { openApiIndex, openApiV3Documents } from './openapi.js';
import { type ServedResource, servedResources } from './resources.js';

export type Route =
  /** A fixed document (discovery, OpenAPI v3, version), with its media type when not application/json. */
  | { kind: 'document'; body: unknown; contentType?: string }
  | { kind: 'health' }
  /** JSON or gnostic protobuf, by the Accept header. */
  | { kind: 'openapiV2' }
  | { kind: 'namespaces' }
  | { kind: 'namespace'; name: string }
  | { kind: 'accessReview' }
  | { kind: 'rulesReview' }
  /** `namespace` undefined: across all namespaces; `watch`: a deprecated /watch/ path (of one object when `name` is set). */
  | { kind: 'collection'; resource: ServedResource; namespace: string | undefined; watch?: { name?: string } }
  | { kind: 'item'; resource: ServedResource; namespace: string; name: string }
  /** Under a served group version, but no resource of it: a Status 404. */
  | { kind: 'unknown' }
  /** Outside every served group: kube-apiserver's mux answers a plain-text 404. */
  | { kind: 'unrouted' };

const AUTHORIZATION = '/apis/authorization.k8s.io/v1';

/** A path Go's HTTP server cannot unescape: it answers a plain-text 400 before any handler runs. */
export class MalformedPath extends Error {}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MalformedPath(`malformed percent-encoding in the path segment ${JSON.stringify(segment)}`);
  }
}

function documentAt(path: string, host: string): unknown {
  if (path === '/version') return discovery.version;
  if (path === '/openapi/v3') return openApiIndex;
  if (path.startsWith('/openapi/v3/')) return openApiV3Documents[path.slice('/openapi/v3/'.length)];
  return discovery.discoveryDocument(path, host);
}

export function route(method: string, url: URL, host: string, accept?: string): Route {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const segments = path.split('/').slice(1).map(decoded);
  if (method === 'GET') {
    if ((path === '/api' || path === '/apis') && discovery.wantsAggregated(accept)) {
      return { kind: 'document', body: discovery.aggregatedDiscovery(path === '/api'), contentType: discovery.AGGREGATED_DISCOVERY };
    }
    const document = documentAt(path, host);
    // kube-apiserver serves the OpenAPI v3 index as text/plain.
    if (document !== undefined) return { kind: 'document', body: document, ...(path === '/openapi/v3' ? { contentType: 'text/plain; charset=utf-8' } : {}) };
    if (path === '/openapi/v2') return { kind: 'openapiV2' };
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return { kind: 'health' };
    if (path === '/api/v1/namespaces') return { kind: 'namespaces' };
    if (segments.length === 4 && path.startsWith('/api/v1/namespaces/')) return { kind: 'namespace', name: segments[3]! };
  }
  if (method === 'POST' && path === `${AUTHORIZATION}/selfsubjectaccessreviews`) return { kind: 'accessReview' };
  if (method === 'POST' && path === `${AUTHORIZATION}/selfsubjectrulesreviews`) return { kind: 'rulesReview' };
  for (const { prefix, plural, resource } of servedResources) {
    if (!path.startsWith(`${prefix}/`)) continue;
    // An encoded slash in a name makes a segment no route has.
    const rest = segments.slice(prefix.split('/').length - 1);
    if (rest.some((segment) => segment.includes('/'))) return { kind: 'unknown' };
    const watching = rest[0] === 'watch';
    const scoped = watching ? rest.slice(1) : rest;
    if (scoped.length === 1 && scoped[0] === plural) return { kind: 'collection', resource, namespace: undefined, ...(watching ? { watch: {} } : {}) };
    if (scoped[0] !== 'namespaces' || scoped[2] !== plural) continue;
    if (scoped.length === 3) return { kind: 'collection', resource, namespace: scoped[1]!, ...(watching ? { watch: {} } : {}) };
    if (scoped.length === 4 && watching) return { kind: 'collection', resource, namespace: scoped[1]!, watch: { name: scoped[3]! } };
    if (scoped.length === 4) return { kind: 'item', resource, namespace: scoped[1]!, name: scoped[3]! };
  }
  const served = ['/api/v1', ...discovery.GROUPS.map((group) => `/apis/${group}/v1`)];
  return served.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)) ? { kind: 'unknown' } : { kind: 'unrouted' };
}

/** The Kubernetes verb of a request, for request accounting. */
export function verbOf(request: IncomingMessage): string {
  const url = new URL(request.url ?? '/', 'http://leasehold');
  const named = /\/(leases|events)\/[^/]+$/.test(url.pathname);
  switch (request.method) {
    case 'GET':
      return flag(url.searchParams, 'watch') || url.pathname.includes('/watch/') ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return (request.method ?? '').toLowerCase();
  }
}
