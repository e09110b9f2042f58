/**
 * Routing: which document or which lease endpoint a request's method and path name, and the
 * Kubernetes verb (RBAC's vocabulary) it stands for.
 */
import type { IncomingMessage } from 'node:http';
import * as discovery from './discovery.js';
import { flag } from './encoding.js';
import { openApiIndex, openApiV3Documents } from './openapi.js';

export const GROUP_PATH = '/apis/coordination.k8s.io/v1';

export type Route =
  /** A fixed document (discovery, OpenAPI, version). */
  | { kind: 'document'; body: unknown }
  | { kind: 'health' }
  /** JSON or gnostic protobuf, by the Accept header. */
  | { kind: 'openapiV2' }
  | { kind: 'namespaces' }
  | { kind: 'namespace'; name: string }
  /** `namespace` undefined: across all namespaces. */
  | { kind: 'leases'; namespace: string | undefined }
  | { kind: 'lease'; namespace: string; name: string }
  | { kind: 'unknown' };

const LEASE_PATH = new RegExp(`^${GROUP_PATH}/namespaces/([^/]+)/leases(?:/([^/]+))?$`);
const NAMESPACE_PATH = /^\/api\/v1\/namespaces\/([^/]+)$/;

function documentAt(path: string, host: string): unknown {
  switch (path) {
    case '/version':
      return discovery.version;
    case '/api':
      return discovery.coreVersions(host);
    case '/api/v1':
      return discovery.coreResources;
    case '/apis':
      return discovery.groups;
    case '/apis/coordination.k8s.io':
      return discovery.coordinationGroup;
    case GROUP_PATH:
      return discovery.coordinationResources;
    case '/openapi/v3':
      return openApiIndex;
    default:
      return path.startsWith('/openapi/v3/') ? openApiV3Documents[path.slice('/openapi/v3/'.length)] : undefined;
  }
}

export function route(method: string, url: URL, host: string): Route {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (method === 'GET') {
    const document = documentAt(path, host);
    if (document !== undefined) return { kind: 'document', body: document };
    if (path === '/openapi/v2') return { kind: 'openapiV2' };
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return { kind: 'health' };
    if (path === '/api/v1/namespaces') return { kind: 'namespaces' };
    const namespace = NAMESPACE_PATH.exec(path);
    if (namespace) return { kind: 'namespace', name: decodeURIComponent(namespace[1]!) };
  }
  if (path === `${GROUP_PATH}/leases`) return { kind: 'leases', namespace: undefined };
  const match = LEASE_PATH.exec(path);
  if (!match) return { kind: 'unknown' };
  const namespace = decodeURIComponent(match[1]!);
  if (match[2] === undefined) return { kind: 'leases', namespace };
  return { kind: 'lease', namespace, name: decodeURIComponent(match[2]) };
}

/** The Kubernetes verb of a request, for request accounting. */
export function verbOf(request: IncomingMessage): string {
  const url = new URL(request.url ?? '/', 'http://leasehold');
  const named = /\/leases\/[^/]+$/.test(url.pathname);
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
