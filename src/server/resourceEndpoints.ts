/**
 * Storage: the verbs on one served resource — list, watch, get, create, update, patch (and
 * server-side apply for Leases), delete, deletecollection — with kube-apiserver's preconditions
 * (409 Conflict / AlreadyExists, 404), dry runs and field ownership.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../time/clock.js';
import { requireResourceVersion, type ServerFeatures, writeOptions } from './admission.js';
import { APPLY_PATCH, mediaTypeOf, PATCH_TYPES } from './decoding.js';
import { HttpError } from './encoding.js';
import { type ListOptions, listOptions } from './listOptions.js';
import { applyConfiguration, managedFieldsAfterUpdate } from './managedFields.js';
import type { NewObject, ObjectStore, StoredObject } from './objectStore.js';
import { type Json, JsonPatchError, jsonPatch, mergePatch } from './patch.js';
import type { ServedResource } from './resources.js';
import { parseSelectors, SelectorError } from './selectors.js';
import * as status from './status.js';
import { wantsTable } from './table.js';
import { serveWatch, type WatchRequest, type WatchSettings } from './watch.js';

export interface EndpointContext {
  objects: ObjectStore;
  clock: Clock;
  watch: WatchSettings;
  features: ServerFeatures;
}

/** What a request is answered with, once the changes it saw are durable; undefined when it streams (a watch). */
export interface Answer {
  code: number;
  body: unknown;
}

/** One request on a resource: a namespace's collection (or every namespace's), or one named object. */
export interface ResourceCall {
  request: IncomingMessage;
  response: ServerResponse;
  params: URLSearchParams;
  body: unknown;
  namespace: string | undefined;
  name?: string;
}

type Row = Record<string, unknown>;

export function resourceEndpoints({ objects, clock, watch: watchSettings, features }: EndpointContext, served: ServedResource) {
  const { subject, stored } = served;
  /** Server time as metadata timestamps carry it (RFC 3339, seconds). */
  const timestamp = () => new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

  function selectorFrom(params: URLSearchParams) {
    try {
      return parseSelectors(params.get('fieldSelector'), params.get('labelSelector'), served.fields);
    } catch (error) {
      if (error instanceof SelectorError) throw new HttpError(status.badRequest(error.message));
      throw error;
    }
  }

  const list = (resourceVersion: number, items: StoredObject[]) => ({
    kind: served.listKind,
    apiVersion: served.apiVersion,
    metadata: { resourceVersion: String(resourceVersion) },
    items: items.map(served.present),
  });

  const answer = (code: number, object: StoredObject): Answer => ({ code, body: served.present(object) });

  function watch(call: ResourceCall, options: ListOptions): undefined {
    const render = wantsTable(call.request.headers.accept)
      ? (object: StoredObject) => served.table([object], objects.resourceVersion, clock.now())
      : served.present;
    const requested = options.resourceVersion;
    if (requested !== undefined && requested > objects.resourceVersion) throw new HttpError(status.tooLargeResourceVersion(options.resourceVersionText!, objects.resourceVersion));
    let start: WatchRequest['start'];
    if (options.sendInitialEvents === true) start = { from: 'current', announceEnd: true };
    else if (options.sendInitialEvents === false) start = { from: 'after', resourceVersion: requested || objects.resourceVersion };
    else if (!requested) start = { from: 'current', announceEnd: false };
    else start = { from: 'after', resourceVersion: requested };
    serveWatch(call.response, objects, watchSettings, {
      resource: stored,
      bookmarkKind: { apiVersion: served.apiVersion, kind: subject.kind },
      namespace: call.namespace,
      selector: selectorFrom(call.params),
      start,
      bookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
      render,
    });
    return undefined;
  }

  function listing(call: ResourceCall, options: ListOptions): Answer {
    const selector = selectorFrom(call.params);
    const requested = options.resourceVersion;
    if (requested !== undefined && requested > objects.resourceVersion) throw new HttpError(status.tooLargeResourceVersion(options.resourceVersionText!, objects.resourceVersion));
    let version = objects.resourceVersion;
    let found = objects.list(stored, call.namespace);
    if (options.resourceVersionMatch === 'Exact' && requested !== undefined && requested !== version) {
      const then = objects.listAt(stored, call.namespace, requested);
      if (!then) throw new HttpError(status.expired(options.resourceVersionText!, objects.oldestResumable));
      [version, found] = [requested, then];
    }
    const items = found.filter(selector);
    if (wantsTable(call.request.headers.accept)) return { code: 200, body: served.table(items, version, clock.now()) };
    return { code: 200, body: list(version, items) };
  }

  /** The object with the managedFields an ordinary write by this request's manager leaves. */
  function tracked(object: NewObject, current: StoredObject | undefined, manager: string): NewObject {
    const managedFields = managedFieldsAfterUpdate(current as Row | undefined, object as Row, manager, served.apiVersion, timestamp());
    return { ...object, metadata: { ...object.metadata, managedFields } };
  }

  /** Drops the objects past their time to live, and the oldest beyond the cap. */
  function expire(): void {
    const { expiry } = served;
    if (!expiry) return;
    const all = objects.list(stored, undefined).sort((a, b) => expiry.since(a) - expiry.since(b));
    const cutoff = clock.now() - expiry.ms;
    all.forEach((object, index) => {
      if (expiry.since(object) < cutoff || all.length - index >= expiry.max) objects.delete(stored, object);
    });
  }

  function create(call: ResourceCall, namespace: string): Answer {
    const { dryRun, manager } = writeOptions(call.request, call.params, 'CreateOptions');
    const object = served.admit(call.body, namespace, undefined, undefined, features);
    if (!dryRun) expire();
    if (objects.get(stored, namespace, object.metadata.name)) throw new HttpError(status.alreadyExists(object.metadata.name, subject));
    return answer(201, objects.create(stored, namespace, tracked(object, undefined, manager), dryRun));
  }

  function deleteCollection(call: ResourceCall, namespace: string): Answer {
    const { dryRun } = writeOptions(call.request, call.params, 'DeleteOptions', call.body);
    const deleted = objects.list(stored, namespace).filter(selectorFrom(call.params)).map((object) => objects.delete(stored, object, dryRun));
    return { code: 200, body: list(objects.resourceVersion, deleted) };
  }

  function get(call: ResourceCall, current: StoredObject | undefined, name: string): Answer {
    if (!current) throw new HttpError(status.notFound(name, subject));
    if (wantsTable(call.request.headers.accept)) return { code: 200, body: served.table([current], objects.resourceVersion, clock.now()) };
    return answer(200, current);
  }

  function update(call: ResourceCall, current: StoredObject | undefined, namespace: string, name: string): Answer {
    const { dryRun, manager } = writeOptions(call.request, call.params, 'UpdateOptions');
    const object = served.admit(call.body, namespace, name, current, features);
    const rv = requireResourceVersion(object, subject);
    if (!current) throw new HttpError(status.notFound(name, subject));
    if (rv !== current.metadata.resourceVersion) throw new HttpError(status.conflict(name, subject));
    return answer(200, objects.replace(stored, current, tracked(object, current, manager), dryRun));
  }

  function patch(call: ResourceCall, current: StoredObject | undefined, namespace: string, name: string): Answer {
    const type = mediaTypeOf(call.request);
    if (type === APPLY_PATCH && served.serverSideApply) return apply(call, current, namespace, name);
    const { dryRun, manager } = writeOptions(call.request, call.params, 'PatchOptions');
    if (!current) throw new HttpError(status.notFound(name, subject));
    const object = served.admit(patched(type, served.present(current), call.body, name, subject), namespace, name, current, features);
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new HttpError(status.conflict(name, subject));
    }
    return answer(200, objects.replace(stored, current, tracked(object, current, manager), dryRun));
  }

  /** Server-side apply: creates the object when it does not exist; 409 when a changed field has another manager, unless force. */
  function apply(call: ResourceCall, current: StoredObject | undefined, namespace: string, name: string): Answer {
    const { dryRun, manager, force } = writeOptions(call.request, call.params, 'PatchOptions');
    const configuration = appliedConfiguration(call.body, name, served);
    const { object, managedFields } = applyConfiguration(current as Row | undefined, configuration, manager, force, timestamp());
    const admitted = served.admit(object, namespace, name, current, features);
    const precondition = (configuration.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (precondition && precondition !== current?.metadata.resourceVersion) throw new HttpError(status.conflict(name, subject));
    const applied = { ...admitted, metadata: { ...admitted.metadata, managedFields } };
    if (!current) return answer(201, objects.create(stored, namespace, applied, dryRun));
    return answer(200, objects.replace(stored, current, applied, dryRun));
  }

  function remove(call: ResourceCall, current: StoredObject | undefined, name: string): Answer {
    const { dryRun } = writeOptions(call.request, call.params, 'DeleteOptions', call.body);
    if (!current) throw new HttpError(status.notFound(name, subject));
    const preconditions = (call.body as { preconditions?: { resourceVersion?: string } } | undefined)?.preconditions;
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
      throw new HttpError(status.conflict(name, subject));
    }
    objects.delete(stored, current, dryRun);
    return { code: 200, body: status.success(name, current.metadata.uid, subject) };
  }

  return {
    /** GET, POST and DELETE on a namespace's objects (or every namespace's, for GET). */
    collection(call: ResourceCall): Answer | undefined {
      const { request, namespace } = call;
      switch (request.method) {
        case 'GET': {
          const options = listOptions(call.params);
          return options.watch ? watch(call, options) : listing(call, options);
        }
        case 'POST':
          if (namespace === undefined) throw new HttpError(status.methodNotAllowed('POST'));
          return create(call, namespace);
        case 'DELETE':
          if (namespace === undefined) throw new HttpError(status.methodNotAllowed('DELETE'));
          return deleteCollection(call, namespace);
        default:
          throw new HttpError(status.methodNotAllowed(request.method ?? ''));
      }
    },

    /** GET, PUT, PATCH and DELETE on one object. */
    item(call: ResourceCall, namespace: string, name: string): Answer | undefined {
      const current = objects.get(stored, namespace, name);
      switch (call.request.method) {
        case 'GET':
          return get(call, current, name);
        case 'PUT':
          return update(call, current, namespace, name);
        case 'PATCH':
          return patch(call, current, namespace, name);
        case 'DELETE':
          return remove(call, current, name);
        default:
          throw new HttpError(status.methodNotAllowed(call.request.method ?? ''));
      }
    },
  };
}

/** The configuration of an apply: a whole object of the resource's apiVersion and kind, with the URL's name. */
function appliedConfiguration(body: unknown, name: string, served: ServedResource): Row {
  const { kind } = served.subject;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(status.badRequest(`the body of an apply must be a ${kind} object`));
  const configuration = body as Row;
  if (configuration.apiVersion !== served.apiVersion || configuration.kind !== kind) {
    throw new HttpError(
      status.badRequest(`an apply must name apiVersion ${served.apiVersion} and kind ${kind} (got ${JSON.stringify(configuration.apiVersion)}, ${JSON.stringify(configuration.kind)})`),
    );
  }
  const metadata = configuration.metadata as { name?: unknown } | undefined;
  if (metadata?.name !== undefined && metadata.name !== name) {
    throw new HttpError(status.badRequest(`the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`));
  }
  return configuration;
}

/** The object a merge patch (strategic merge as merge: these kinds have no merge keys) or JSON patch makes of `current`. */
function patched(type: string, current: Row, body: unknown, name: string, subject: status.StatusSubject): Json {
  try {
    if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') return mergePatch(current as Json, body as Json);
    if (type === 'application/json-patch+json') return jsonPatch(current as Json, body);
  } catch (error) {
    if (error instanceof JsonPatchError) throw new HttpError(status.failure(422, 'Invalid', error.message, { name, group: subject.group, kind: subject.kind }));
    throw error;
  }
  throw new HttpError(status.unsupportedMediaType(type, PATCH_TYPES.filter((t) => t !== APPLY_PATCH)));
}
