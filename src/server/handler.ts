/**
 * The HTTP handler of the embedded Lease API server: routes, bodies and status codes as
 * kube-apiserver gives them for coordination.k8s.io/v1 Leases and the discovery around them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../time/clock.js';
import * as discovery from './discovery.js';
import type { LeaseObject, LeaseObjects } from './leaseObjects.js';
import { coordinationOpenApi, openApiIndex } from './openapi.js';
import { type Json, JsonPatchError, jsonPatch, mergePatch } from './patch.js';
import { parseSelectors, SelectorError } from './selectors.js';
import * as status from './status.js';
import { table, wantsTable } from './table.js';
import { decodingError, validationCauses } from './validation.js';
import { serveWatch } from './watch.js';

export interface HandlerContext {
  objects: LeaseObjects;
  clock: Clock;
  token: string | undefined;
  bookmarkInterval: number;
  /** Called once per request with the verb, the status code and the request, for tests and metrics. */
  onRequest?: (verb: string, code: number, request: IncomingMessage) => void;
}

class HttpError extends Error {
  constructor(readonly status: status.Status) {
    super(status.message);
  }
}

const GROUP_PATH = '/apis/coordination.k8s.io/v1';

/** kube-apiserver reads a boolean query parameter as true unless it is "0" or "false". */
function flag(params: URLSearchParams, name: string): boolean {
  if (!params.has(name)) return false;
  const value = params.get(name)!.toLowerCase();
  return value !== '0' && value !== 'false';
}

function send(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(status.badRequest(`the body of the request could not be decoded as JSON: ${(error as Error).message}`));
  }
}

function selectorFrom(params: URLSearchParams) {
  try {
    return parseSelectors(params.get('fieldSelector'), params.get('labelSelector'));
  } catch (error) {
    if (error instanceof SelectorError) throw new HttpError(status.badRequest(error.message));
    throw error;
  }
}

/** Decodes and validates a Lease body for `name` (the URL's, or the body's on create). */
function checkedLease(body: unknown, namespace: string, urlName: string | undefined): Pick<LeaseObject, 'metadata' | 'spec'> {
  const undecodable = decodingError(body);
  if (undecodable) throw new HttpError(status.undecodable(undecodable));
  const object = body as { metadata?: Record<string, unknown>; spec?: Record<string, unknown> | null };
  const metadata = { ...(object.metadata ?? {}) } as LeaseObject['metadata'];
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (urlName !== undefined && name !== '' && name !== urlName) {
    throw new HttpError(status.badRequest(`the name of the object (${name}) does not match the name on the URL (${urlName})`));
  }
  if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== namespace) {
    throw new HttpError(status.badRequest('the namespace of the provided object does not match the namespace sent on the request'));
  }
  metadata.name = urlName ?? name;
  delete metadata.managedFields;
  const spec = object.spec ?? undefined;
  const causes = validationCauses(metadata.name, spec);
  if (causes.length > 0) throw new HttpError(status.invalid(metadata.name, causes));
  return { metadata, ...(spec ? { spec } : {}) };
}

export function createHandler(context: HandlerContext) {
  const { objects, clock } = context;

  function leaseCollection(request: IncomingMessage, response: ServerResponse, namespace: string | undefined, params: URLSearchParams, body: unknown): void {
    const selector = selectorFrom(params);
    switch (request.method) {
      case 'GET': {
        const render = wantsTable(request.headers.accept)
          ? (object: LeaseObject) => table([object], objects.resourceVersion, clock.now())
          : (object: LeaseObject) => object;
        if (flag(params, 'watch')) {
          const rv = params.get('resourceVersion');
          const timeout = params.get('timeoutSeconds');
          if (rv !== null && rv !== '' && rv !== '0' && !/^\d+$/.test(rv)) {
            throw new HttpError(status.badRequest(`invalid resource version: ${JSON.stringify(rv)}`));
          }
          serveWatch(response, objects, clock, context.bookmarkInterval, {
            namespace,
            selector,
            resourceVersion: rv && rv !== '0' ? Number(rv) : undefined,
            bookmarks: flag(params, 'allowWatchBookmarks'),
            timeoutSeconds: timeout && /^\d+$/.test(timeout) ? Number(timeout) : undefined,
            render,
          });
          return;
        }
        const items = objects.list(namespace).filter(selector);
        if (wantsTable(request.headers.accept)) return send(response, 200, table(items, objects.resourceVersion, clock.now()));
        return send(response, 200, {
          kind: 'LeaseList',
          apiVersion: 'coordination.k8s.io/v1',
          metadata: { resourceVersion: String(objects.resourceVersion) },
          items,
        });
      }
      case 'POST': {
        if (namespace === undefined) throw new HttpError(status.methodNotAllowed('POST'));
        const lease = checkedLease(body, namespace, undefined);
        if (objects.get(namespace, lease.metadata.name)) throw new HttpError(status.alreadyExists(lease.metadata.name));
        return send(response, 201, objects.create(namespace, lease));
      }
      case 'DELETE': {
        if (namespace === undefined) throw new HttpError(status.methodNotAllowed('DELETE'));
        const deleted = objects.list(namespace).filter(selector).map((object) => objects.delete(object));
        return send(response, 200, { kind: 'LeaseList', apiVersion: 'coordination.k8s.io/v1', metadata: { resourceVersion: String(objects.resourceVersion) }, items: deleted });
      }
      default:
        throw new HttpError(status.methodNotAllowed(request.method ?? ''));
    }
  }

  function leaseItem(request: IncomingMessage, response: ServerResponse, namespace: string, name: string, body: unknown): void {
    const current = objects.get(namespace, name);
    switch (request.method) {
      case 'GET':
        if (!current) throw new HttpError(status.notFound(name));
        if (wantsTable(request.headers.accept)) return send(response, 200, table([current], objects.resourceVersion, clock.now()));
        return send(response, 200, current);
      case 'PUT': {
        const lease = checkedLease(body, namespace, name);
        const rv = lease.metadata.resourceVersion;
        if (!rv) {
          throw new HttpError(
            status.invalid(name, [
              { reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' },
            ]),
          );
        }
        if (!current) throw new HttpError(status.notFound(name));
        if (rv !== current.metadata.resourceVersion) throw new HttpError(status.conflict(name));
        return send(response, 200, objects.replace(current, lease));
      }
      case 'PATCH': {
        if (!current) throw new HttpError(status.notFound(name));
        const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
        let patched: Json;
        try {
          if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
            patched = mergePatch(current as unknown as Json, body as Json);
          } else if (type === 'application/json-patch+json') {
            patched = jsonPatch(current as unknown as Json, body);
          } else {
            throw new HttpError(status.unsupportedMediaType(type));
          }
        } catch (error) {
          if (error instanceof JsonPatchError) throw new HttpError(status.failure(422, 'Invalid', error.message, { name, group: 'coordination.k8s.io', kind: 'Lease' }));
          throw error;
        }
        const lease = checkedLease(patched, namespace, name);
        if (lease.metadata.resourceVersion && lease.metadata.resourceVersion !== current.metadata.resourceVersion) {
          throw new HttpError(status.conflict(name));
        }
        return send(response, 200, objects.replace(current, lease));
      }
      case 'DELETE': {
        if (!current) throw new HttpError(status.notFound(name));
        const preconditions = (body as { preconditions?: { resourceVersion?: string } } | undefined)?.preconditions;
        if (preconditions?.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
          throw new HttpError(status.conflict(name));
        }
        objects.delete(current);
        return send(response, 200, status.success(name, current.metadata.uid));
      }
      default:
        throw new HttpError(status.methodNotAllowed(request.method ?? ''));
    }
  }

  function route(request: IncomingMessage, response: ServerResponse, url: URL, body: unknown): void {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const params = url.searchParams;
    const read = request.method === 'GET';
    if (read) {
      switch (path) {
        case '/version':
          return send(response, 200, discovery.version);
        case '/api':
          return send(response, 200, discovery.coreVersions(request.headers.host ?? '127.0.0.1'));
        case '/api/v1':
          return send(response, 200, discovery.coreResources);
        case '/api/v1/namespaces':
          return send(response, 200, discovery.namespaceList(objects.namespaces()));
        case '/apis':
          return send(response, 200, discovery.groups);
        case '/apis/coordination.k8s.io':
          return send(response, 200, discovery.coordinationGroup);
        case GROUP_PATH:
          return send(response, 200, discovery.coordinationResources);
        case '/openapi/v3':
          return send(response, 200, openApiIndex);
        case '/openapi/v3/apis/coordination.k8s.io/v1':
          return send(response, 200, coordinationOpenApi);
        case '/healthz':
        case '/readyz':
        case '/livez':
          response.writeHead(200, { 'content-type': 'text/plain' });
          response.end('ok');
          return;
      }
      const namespaceMatch = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path);
      if (namespaceMatch) return send(response, 200, discovery.namespace(decodeURIComponent(namespaceMatch[1]!)));
    }
    if (path === `${GROUP_PATH}/leases`) return leaseCollection(request, response, undefined, params, body);
    const match = new RegExp(`^${GROUP_PATH}/namespaces/([^/]+)/leases(?:/([^/]+))?$`).exec(path);
    if (!match) throw new HttpError(status.resourceNotFound());
    const namespace = decodeURIComponent(match[1]!);
    if (match[2] === undefined) return leaseCollection(request, response, namespace, params, body);
    return leaseItem(request, response, namespace, decodeURIComponent(match[2]), body);
  }

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const verb = verbOf(request);
    try {
      if (context.token !== undefined && request.headers.authorization !== `Bearer ${context.token}`) {
        throw new HttpError(status.unauthorized());
      }
      const url = new URL(request.url ?? '/', 'http://leasehold');
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await readJson(request);
      route(request, response, url, body);
    } catch (error) {
      const failure = error instanceof HttpError ? error.status : status.failure(500, 'InternalError', `an error on the server: ${String(error)}`);
      if (!response.headersSent) send(response, failure.code, failure);
      else response.end();
    } finally {
      context.onRequest?.(verb, response.statusCode, request);
    }
  };
}

/** The Kubernetes verb of a request (RBAC's vocabulary), for request accounting. */
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
