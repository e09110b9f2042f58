/**
 * Routing: which document, review or resource endpoint a request's method and path name, and the
 * Kubernetes verb (RBAC's vocabulary) it stands for. Path segments are percent-decoded here;
 * malformed encoding is a 400.
 */
import type { IncomingMessage } from 'node:http';
import * as discovery from './discovery.js';
import { flag, HttpError } from './encoding.js';
import { openApiIndex, openApiV3Documents } from './openapi.js';
import { type ServedResource, servedResources } from './resources.js';
import * as status from './status.js';

export type Route =
  /** A fixed document (discovery, OpenAPI v3, version). */
  | { kind: 'document'; body: unknown }
  | { kind: 'health' }
  /** JSON or gnostic protobuf, by the Accept header. */
  | { kind: 'openapiV2' }
  | { kind: 'namespaces' }
  | { kind: 'namespace'; name: string }
  | { kind: 'accessReview' }
  | { kind: 'rulesReview' }
  /** `namespace` undefined: across all namespaces. */
  | { kind: 'collection'; resource: ServedResource; namespace: string | undefined }
  | { kind: 'item'; resource: ServedResource; namespace: string; name: string }
  | { kind: 'unknown' };

const AUTHORIZATION = '/apis/authorization.k8s.io/v1';

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(status.badRequest(`malformed percent-encoding in the path segment ${JSON.stringify(segment)}`));
  }
}

function documentAt(path: string, host: string): unknown {
  if (path === '/version') return discovery.version;
  if (path === '/openapi/v3') return openApiIndex;
  if (path.startsWith('/openapi/v3/')) return openApiV3Documents[path.slice('/openapi/v3/'.length)];
  return discovery.discoveryDocument(path, host);
}

export function route(method: string, url: URL, host: string): Route {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const segments = path.split('/').slice(1).map(decoded);
  if (method === 'GET') {
    const document = documentAt(path, host);
    if (document !== undefined) return { kind: 'document', body: document };
    if (path === '/openapi/v2') return { kind: 'openapiV2' };
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return { kind: 'health' };
    if (path === '/api/v1/namespaces') return { kind: 'namespaces' };
    if (segments.length === 4 && path.startsWith('/api/v1/namespaces/')) return { kind: 'namespace', name: segments[3]! };
  }
  if (method === 'POST' && path === `${AUTHORIZATION}/selfsubjectaccessreviews`) return { kind: 'accessReview' };
  if (method === 'POST' && path === `${AUTHORIZATION}/selfsubjectrulesreviews`) return { kind: 'rulesReview' };
  for (const { prefix, plural, resource } of servedResources) {
    if (!path.startsWith(`${prefix}/`)) continue;
    const rest = segments.slice(prefix.split('/').length - 1);
    if (rest.length === 1 && rest[0] === plural) return { kind: 'collection', resource, namespace: undefined };
    if (rest[0] !== 'namespaces' || rest[2] !== plural) continue;
    if (rest.length === 3) return { kind: 'collection', resource, namespace: rest[1]! };
    if (rest.length === 4) return { kind: 'item', resource, namespace: rest[1]!, name: rest[3]! };
  }
  return { kind: 'unknown' };
}

/** The Kubernetes verb of a request, for request accounting. */
export function verbOf(request: IncomingMessage): string {
  const url = new URL(request.url ?? '/', 'http://leasehold');
  const named = /\/(leases|events)\/[^/]+$/.test(url.pathname);
  switch (request.method) {
    case 'GET':
      return flag(url.searchParams, 'watch') ? 'watch' : named ? 'get' : 'list';
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
