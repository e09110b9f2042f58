/**
 * Storage: the Lease verbs on the server's objects — list, watch, get, create, update, patch,
 * delete, deletecollection — with kube-apiserver's preconditions (409 Conflict / AlreadyExists, 404).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../time/clock.js';
import { type AdmittedLease, admitLease, requireResourceVersion, writeOptions } from './admission.js';
import { APPLY_PATCH, mediaTypeOf, PATCH_TYPES } from './decoding.js';
import { applyConfiguration, managedFieldsAfterUpdate } from './managedFields.js';
import { HttpError, send } from './encoding.js';
import type { LeaseObject, LeaseObjects } from './leaseObjects.js';
import { type Json, JsonPatchError, jsonPatch, mergePatch } from './patch.js';
import { parseSelectors, SelectorError } from './selectors.js';
import * as status from './status.js';
import { table, wantsTable } from './table.js';
import { type ListOptions, listOptions } from './listOptions.js';
import { serveWatch, type WatchRequest } from './watch.js';

export interface EndpointContext {
  objects: LeaseObjects;
  clock: Clock;
  bookmarkInterval: number;
}

function selectorFrom(params: URLSearchParams) {
  try {
    return parseSelectors(params.get('fieldSelector'), params.get('labelSelector'));
  } catch (error) {
    if (error instanceof SelectorError) throw new HttpError(status.badRequest(error.message));
    throw error;
  }
}

const leaseList = (resourceVersion: number, items: LeaseObject[]) => ({
  kind: 'LeaseList',
  apiVersion: 'coordination.k8s.io/v1',
  metadata: { resourceVersion: String(resourceVersion) },
  items,
});

export function leaseEndpoints({ objects, clock, bookmarkInterval }: EndpointContext) {
  function watch(request: IncomingMessage, response: ServerResponse, namespace: string | undefined, params: URLSearchParams, options: ListOptions): void {
    const render = wantsTable(request.headers.accept)
      ? (object: LeaseObject) => table([object], objects.resourceVersion, clock.now())
      : (object: LeaseObject) => object;
    const requested = options.resourceVersion;
    if (requested !== undefined && requested > objects.resourceVersion) throw new HttpError(status.tooLargeResourceVersion(options.resourceVersionText!, objects.resourceVersion));
    let start: WatchRequest['start'];
    if (options.sendInitialEvents === true) start = { from: 'current', announceEnd: true };
    else if (options.sendInitialEvents === false) start = { from: 'after', resourceVersion: requested || objects.resourceVersion };
    else if (!requested) start = { from: 'current', announceEnd: false };
    else start = { from: 'after', resourceVersion: requested };
    serveWatch(response, objects, clock, bookmarkInterval, {
      namespace,
      selector: selectorFrom(params),
      start,
      bookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
      render,
    });
  }

  function list(request: IncomingMessage, response: ServerResponse, namespace: string | undefined, params: URLSearchParams, options: ListOptions): void {
    const selector = selectorFrom(params);
    const requested = options.resourceVersion;
    if (requested !== undefined && requested > objects.resourceVersion) throw new HttpError(status.tooLargeResourceVersion(options.resourceVersionText!, objects.resourceVersion));
    let version = objects.resourceVersion;
    let found = objects.list(namespace);
    if (options.resourceVersionMatch === 'Exact' && requested !== undefined && requested !== version) {
      const then = objects.listAt(namespace, requested);
      if (!then) throw new HttpError(status.expired(options.resourceVersionText!, objects.oldestResumable));
      [version, found] = [requested, then];
    }
    const items = found.filter(selector);
    if (wantsTable(request.headers.accept)) return send(response, 200, table(items, version, clock.now()));
    send(response, 200, leaseList(version, items));
  }

  /** Server time as metadata timestamps carry it (RFC 3339, seconds). */
  const timestamp = () => new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

  /** The lease with the managedFields an ordinary write by this request's manager leaves. */
  function tracked(lease: AdmittedLease, current: LeaseObject | undefined, manager: string): AdmittedLease {
    const managedFields = managedFieldsAfterUpdate(current as Record<string, unknown> | undefined, { ...lease, apiVersion: 'coordination.k8s.io/v1' }, manager, 'coordination.k8s.io/v1', timestamp());
    return { ...lease, metadata: { ...lease.metadata, managedFields } };
  }

  function create(request: IncomingMessage, response: ServerResponse, namespace: string, params: URLSearchParams, body: unknown): void {
    const { dryRun, manager } = writeOptions(request, params, 'CreateOptions');
    const lease = admitLease(body, namespace, undefined);
    if (objects.get(namespace, lease.metadata.name)) throw new HttpError(status.alreadyExists(lease.metadata.name));
    send(response, 201, objects.create(namespace, tracked(lease, undefined, manager), dryRun));
  }

  function deleteCollection(request: IncomingMessage, response: ServerResponse, namespace: string, params: URLSearchParams, body: unknown): void {
    const { dryRun } = writeOptions(request, params, 'DeleteOptions', body);
    const deleted = objects.list(namespace).filter(selectorFrom(params)).map((object) => objects.delete(object, dryRun));
    send(response, 200, leaseList(objects.resourceVersion, deleted));
  }

  function get(request: IncomingMessage, response: ServerResponse, current: LeaseObject | undefined, name: string): void {
    if (!current) throw new HttpError(status.notFound(name));
    if (wantsTable(request.headers.accept)) return send(response, 200, table([current], objects.resourceVersion, clock.now()));
    send(response, 200, current);
  }

  function update(request: IncomingMessage, response: ServerResponse, current: LeaseObject | undefined, namespace: string, name: string, params: URLSearchParams, body: unknown): void {
    const { dryRun, manager } = writeOptions(request, params, 'UpdateOptions');
    const lease = admitLease(body, namespace, name);
    const rv = requireResourceVersion(lease);
    if (!current) throw new HttpError(status.notFound(name));
    if (rv !== current.metadata.resourceVersion) throw new HttpError(status.conflict(name));
    send(response, 200, objects.replace(current, tracked(lease, current, manager), dryRun));
  }

  function patch(request: IncomingMessage, response: ServerResponse, current: LeaseObject | undefined, namespace: string, name: string, params: URLSearchParams, body: unknown): void {
    const type = mediaTypeOf(request);
    if (type === APPLY_PATCH) return apply(request, response, current, namespace, name, params, body);
    const { dryRun, manager } = writeOptions(request, params, 'PatchOptions');
    if (!current) throw new HttpError(status.notFound(name));
    const lease = admitLease(patched(type, current, body, name), namespace, name);
    if (lease.metadata.resourceVersion && lease.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new HttpError(status.conflict(name));
    }
    send(response, 200, objects.replace(current, tracked(lease, current, manager), dryRun));
  }

  /** Server-side apply: creates the lease when it does not exist; 409 when a changed field has another manager, unless force. */
  function apply(request: IncomingMessage, response: ServerResponse, current: LeaseObject | undefined, namespace: string, name: string, params: URLSearchParams, body: unknown): void {
    const { dryRun, manager, force } = writeOptions(request, params, 'PatchOptions');
    const configuration = appliedConfiguration(body, name);
    const { object, managedFields } = applyConfiguration(current as Record<string, unknown> | undefined, configuration, manager, force, timestamp());
    const lease = admitLease(object, namespace, name);
    const precondition = (configuration.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (precondition && precondition !== current?.metadata.resourceVersion) throw new HttpError(status.conflict(name));
    const applied = { ...lease, metadata: { ...lease.metadata, managedFields } };
    if (!current) return send(response, 201, objects.create(namespace, applied, dryRun));
    send(response, 200, objects.replace(current, applied, dryRun));
  }

  function remove(request: IncomingMessage, response: ServerResponse, current: LeaseObject | undefined, name: string, params: URLSearchParams, body: unknown): void {
    const { dryRun } = writeOptions(request, params, 'DeleteOptions', body);
    if (!current) throw new HttpError(status.notFound(name));
    const preconditions = (body as { preconditions?: { resourceVersion?: string } } | undefined)?.preconditions;
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
      throw new HttpError(status.conflict(name));
    }
    objects.delete(current, dryRun);
    send(response, 200, status.success(name, current.metadata.uid));
  }

  return {
    /** GET, POST and DELETE on a namespace's leases (or every namespace's, for GET). */
    collection(request: IncomingMessage, response: ServerResponse, namespace: string | undefined, params: URLSearchParams, body: unknown): void {
      switch (request.method) {
        case 'GET': {
          const options = listOptions(params);
          return options.watch ? watch(request, response, namespace, params, options) : list(request, response, namespace, params, options);
        }
        case 'POST':
          if (namespace === undefined) throw new HttpError(status.methodNotAllowed('POST'));
          return create(request, response, namespace, params, body);
        case 'DELETE':
          if (namespace === undefined) throw new HttpError(status.methodNotAllowed('DELETE'));
          return deleteCollection(request, response, namespace, params, body);
        default:
          throw new HttpError(status.methodNotAllowed(request.method ?? ''));
      }
    },

    /** GET, PUT, PATCH and DELETE on one lease. */
    item(request: IncomingMessage, response: ServerResponse, namespace: string, name: string, params: URLSearchParams, body: unknown): void {
      const current = objects.get(namespace, name);
      switch (request.method) {
        case 'GET':
          return get(request, response, current, name);
        case 'PUT':
          return update(request, response, current, namespace, name, params, body);
        case 'PATCH':
          return patch(request, response, current, namespace, name, params, body);
        case 'DELETE':
          return remove(request, response, current, name, params, body);
        default:
          throw new HttpError(status.methodNotAllowed(request.method ?? ''));
      }
    },
  };
}

/** The configuration of an apply: a whole Lease (apiVersion, kind, the URL's name). */
function appliedConfiguration(body: unknown, name: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(status.badRequest('the body of an apply must be a Lease object'));
  const configuration = body as Record<string, unknown>;
  if (configuration.apiVersion !== 'coordination.k8s.io/v1' || configuration.kind !== 'Lease') {
    throw new HttpError(status.badRequest(`an apply must name apiVersion coordination.k8s.io/v1 and kind Lease (got ${JSON.stringify(configuration.apiVersion)}, ${JSON.stringify(configuration.kind)})`));
  }
  const metadata = configuration.metadata as { name?: unknown } | undefined;
  if (metadata?.name !== undefined && metadata.name !== name) {
    throw new HttpError(status.badRequest(`the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`));
  }
  return configuration;
}

/** The object a merge patch (strategic merge as merge: Lease has no merge keys) or JSON patch makes of `current`. */
function patched(type: string, current: LeaseObject, body: unknown, name: string): Json {
  try {
    if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
      return mergePatch(current as unknown as Json, body as Json);
    }
    if (type === 'application/json-patch+json') return jsonPatch(current as unknown as Json, body);
  } catch (error) {
    if (error instanceof JsonPatchError) throw new HttpError(status.failure(422, 'Invalid', error.message, { name, group: 'coordination.k8s.io', kind: 'Lease' }));
    throw error;
  }
  throw new HttpError(status.unsupportedMediaType(type, PATCH_TYPES));
}
