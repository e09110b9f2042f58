/**
 * The write verbs on one served resource, in kube-apiserver's order of checks: decode (400), names
 * against the URL (400), field ownership recorded, feature-gated fields dropped, validation (422),
 * preconditions (409), storage (409 AlreadyExists). An update or patch that changes nothing —
 * managedFields included — stores nothing: the answer is the stored object at its version and no
 * watch event is sent. A PUT of a missing object creates it. Dry runs answer and store nothing.
 */
import { randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { admitNames, deleteOptions, refuseInvalid, requireResourceVersion, type WriteOptions, writeOptions } from './admission.js';
import { APPLY_PATCH, mediaTypeOf, NO_FACTS, PATCH_TYPES } from './decoding.js';
import { HttpError } from './encoding.js';
import { decodeAs } from './goDecoding.js';
import type { JsonFacts } from './jsonFacts.js';
import { applyConfiguration, managedFieldsAfterUpdate, type ManagedFieldsEntry } from './managedFields.js';
import type { NewObject, StoredObject } from './objectStore.js';
import { type Json, JsonPatchError, jsonPatch, mergePatch } from './patch.js';
import { listItem, selectorOf } from './reads.js';
import type { Answer, EndpointContext, ResourceCall } from './resourceEndpoints.js';
import type { ServedResource } from './resources.js';
import * as status from './status.js';
import { namespaceProblem } from '../lease/kubernetesNames.js';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What an object is, apart from the version it was stored at. */
function sameContent(a: JsonObject, b: JsonObject): boolean {
  const withoutVersion = (object: JsonObject) => {
    const { resourceVersion: _version, ...metadata } = object.metadata as JsonObject;
    return { ...object, metadata };
  };
  return isDeepStrictEqual(withoutVersion(a), withoutVersion(b));
}

/** Names kube-apiserver's generateName appends: five of these characters. */
const GENERATED = 'bcdfghjklmnpqrstvwxz2456789';

export function writes({ objects, clock, features }: EndpointContext, served: ServedResource) {
  const { subject, stored } = served;
  /** 422s about an object name the kind as validation does: Events as the core Event in both groups. */
  const validationSubject = stored === 'events' ? { ...subject, group: '' } : subject;
  /** Server time as metadata timestamps carry it (RFC 3339, seconds). */
  const timestamp = () => new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

  const decode = (body: unknown, facts: JsonFacts, options: WriteOptions) => decodeAs(body, facts, { kind: subject.kind, apiVersion: served.apiVersion, shape: served.shape }, options.fieldValidation);

  /** The managedFields a request carries replace the stored ones, as kube-apiserver allows. */
  const requestedEntries = (object: JsonObject, current: StoredObject | undefined) => {
    const carried = (object.metadata as JsonObject).managedFields;
    return Array.isArray(carried) ? carried : current?.metadata.managedFields;
  };

  const write = (current: StoredObject | undefined, object: JsonObject, options: WriteOptions) => ({
    live: current ? served.present(current) : undefined,
    entries: requestedEntries(object, current),
    manager: options.manager,
    apiVersion: served.apiVersion,
    time: timestamp(),
    versions: served.versions,
  });

  /** The object to store: the kind's stored form with its managedFields (none when nobody owns a field). */
  function toStore(object: JsonObject, managedFields: ManagedFieldsEntry[] | undefined): NewObject {
    const storedForm = served.toStored(object);
    const { managedFields: _dropped, ...metadata } = storedForm.metadata as JsonObject;
    return { ...storedForm, metadata: { ...metadata, ...(managedFields ? { managedFields } : {}) } } as unknown as NewObject;
  }

  const answer = (code: number, object: StoredObject, warnings: string[]): Answer => ({ code, body: served.present(object), warnings });

  /** Stores `object` as a new object after validation; the checks of a create. */
  function createChecked(object: JsonObject, managedFields: ManagedFieldsEntry[] | undefined, namespace: string, options: WriteOptions, warnings: string[]): Answer {
    const metadata = object.metadata as JsonObject;
    // Namespace lifecycle admission: nothing is created in a namespace that cannot exist.
    if (namespaceProblem(namespace)) throw new HttpError(status.notFound(namespace, status.NAMESPACES));
    served.prepare(object, undefined, features);
    if (!metadata.name && typeof metadata.generateName === 'string' && metadata.generateName !== '') {
      metadata.name = `${metadata.generateName}${Array.from({ length: 5 }, () => GENERATED[randomInt(GENERATED.length)]).join('')}`;
    }
    const name = String(metadata.name ?? '');
    refuseInvalid(name, served.validate(object, namespace, undefined), validationSubject);
    if (!options.dryRun) expire();
    if (metadata.resourceVersion && !options.dryRun) throw new HttpError(status.resourceVersionOnCreate());
    if (objects.get(stored, namespace, name)) throw new HttpError(status.alreadyExists(name, subject));
    return answer(201, objects.create(stored, namespace, toStore(object, managedFields), options.dryRun), warnings);
  }

  /** Stores `object` over `current` after validation, or nothing when nothing changes. */
  function replaceChecked(current: StoredObject, object: JsonObject, managedFields: ManagedFieldsEntry[] | undefined, namespace: string, options: WriteOptions, warnings: string[]): Answer {
    served.prepare(object, served.present(current), features);
    refuseInvalid(current.metadata.name, served.validate(object, namespace, current as unknown as JsonObject), validationSubject);
    const next = toStore(object, managedFields);
    const candidate = { ...next, metadata: { ...next.metadata, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp } } as unknown as JsonObject;
    if (sameContent(candidate, current as unknown as JsonObject)) return answer(200, current, warnings);
    return answer(200, objects.replace(stored, current, next, options.dryRun), warnings);
  }

  /** Drops the objects past their time to live, and the oldest beyond the cap. */
  function expire(): void {
    const { expiry } = served;
    if (!expiry) return;
    const since = (object: StoredObject) => objects.lastWritten(stored, object);
    const all = objects.list(stored, undefined).sort((a, b) => since(a) - since(b));
    const cutoff = clock.now() - expiry.ms;
    all.forEach((object, index) => {
      if (since(object) < cutoff || all.length - index >= expiry.max) objects.delete(stored, object);
    });
  }

  function create(call: ResourceCall, namespace: string): Answer {
    const options = writeOptions(call.request, call.params, 'CreateOptions');
    const { object, warnings } = decode(call.body, call.facts, options);
    admitNames(object, namespace, undefined);
    const managedFields = managedFieldsAfterUpdate(write(undefined, object, options), object);
    return createChecked(object, managedFields, namespace, options, warnings);
  }

  /** The checks an update and a patch share once the new object is known. */
  function updateTo(current: StoredObject, object: JsonObject, namespace: string, options: WriteOptions, warnings: string[], needsVersion: boolean): Answer {
    const metadata = object.metadata as JsonObject;
    const rv = needsVersion ? requireResourceVersion(object, subject) : (metadata.resourceVersion as string | undefined);
    if (metadata.uid && metadata.uid !== current.metadata.uid) throw new HttpError(status.uidMismatch(current.metadata.name, namespace, subject, String(metadata.uid), current.metadata.uid));
    if (rv && rv !== current.metadata.resourceVersion) throw new HttpError(status.conflict(current.metadata.name, subject));
    const managedFields = managedFieldsAfterUpdate(write(current, object, options), object);
    return replaceChecked(current, object, managedFields, namespace, options, warnings);
  }

  function update(call: ResourceCall, current: StoredObject | undefined, namespace: string, name: string): Answer {
    const options = writeOptions(call.request, call.params, 'UpdateOptions');
    const { object, warnings } = decode(call.body, call.facts, options);
    admitNames(object, namespace, name);
    if (!current) {
      // Leases and Events allow create on update: the resourceVersion a client sent means nothing then.
      delete (object.metadata as JsonObject).resourceVersion;
      const managedFields = managedFieldsAfterUpdate(write(undefined, object, options), object);
      return createChecked(object, managedFields, namespace, options, warnings);
    }
    return updateTo(current, object, namespace, options, warnings, true);
  }

  function patch(call: ResourceCall, current: StoredObject | undefined, namespace: string, name: string): Answer {
    const type = mediaTypeOf(call.request);
    if (type === APPLY_PATCH && served.serverSideApply) return apply(call, current, namespace, name);
    const accepted = PATCH_TYPES.filter((t) => t !== APPLY_PATCH);
    if (!accepted.includes(type)) throw new HttpError(status.unsupportedMediaType(type, accepted, true));
    const options = writeOptions(call.request, call.params, 'PatchOptions');
    if (!current) throw new HttpError(status.notFound(name, subject));
    const result = patched(type, served.present(current), call.body);
    let decoded;
    try {
      decoded = decode(result, NO_FACTS, options);
    } catch (error) {
      // What a patch made undecodable is the patch's fault: kube-apiserver answers 422 naming "patch".
      if (!(error instanceof HttpError) || error.status.code !== 400 || !isObject(result)) throw error;
      const message = error.status.message ?? '';
      throw new HttpError(status.failure(422, 'Invalid', message, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] }));
    }
    admitNames(decoded.object, namespace, name);
    return updateTo(current, decoded.object, namespace, options, decoded.warnings, false);
  }

  /** Server-side apply: creates the object when it does not exist; 409 when a changed field has another manager, unless force. */
  function apply(call: ResourceCall, current: StoredObject | undefined, namespace: string, name: string): Answer {
    const options = writeOptions(call.request, call.params, 'PatchOptions');
    const configuration = appliedConfiguration(call.body, name, served);
    const precondition = (configuration.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (precondition && precondition !== current?.metadata.resourceVersion) throw new HttpError(status.conflict(name, subject));
    const { object, managedFields } = applyConfiguration(write(current, configuration, options), configuration, options.force);
    const applied: JsonObject = { ...(object as JsonObject), apiVersion: served.apiVersion, kind: subject.kind };
    admitNames(applied, namespace, name);
    delete (applied.metadata as JsonObject).resourceVersion;
    if (!current) return createChecked(applied, managedFields, namespace, options, []);
    return replaceChecked(current, applied, managedFields, namespace, options, []);
  }

  function remove(call: ResourceCall, current: StoredObject | undefined, name: string): Answer {
    const { dryRun, preconditions } = deleteOptions(call.request, call.params, call.body);
    if (!current) throw new HttpError(status.notFound(name, subject));
    if (preconditions.uid && preconditions.uid !== current.metadata.uid) {
      throw new HttpError(status.preconditionFailed(name, subject, 'UID', preconditions.uid, current.metadata.uid));
    }
    if (preconditions.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
      throw new HttpError(status.preconditionFailed(name, subject, 'ResourceVersion', preconditions.resourceVersion, current.metadata.resourceVersion));
    }
    objects.delete(stored, current, dryRun);
    return { code: 200, body: status.success(name, current.metadata.uid, subject) };
  }

  /** Deletes the selected objects; the answer lists them as they were. */
  function removeCollection(call: ResourceCall, namespace: string): Answer {
    const { dryRun } = deleteOptions(call.request, call.params, call.body);
    const selected = objects.list(stored, namespace).filter(selectorOf(call, served));
    for (const object of selected) objects.delete(stored, object, dryRun);
    return { code: 200, body: { kind: served.listKind, apiVersion: served.apiVersion, metadata: { resourceVersion: String(objects.resourceVersion) }, items: selected.map((object) => listItem(served.present(object))) } };
  }

  return { create, update, patch, remove, removeCollection };
}

/** The configuration of an apply: a whole object of the resource's apiVersion and kind, with the URL's name. */
function appliedConfiguration(body: unknown, name: string, served: ServedResource): JsonObject {
  const { kind } = served.subject;
  if (!isObject(body)) throw new HttpError(status.badRequest(`the body of an apply must be a ${kind} object`));
  const configuration: JsonObject = body;
  if (configuration.apiVersion !== served.apiVersion || configuration.kind !== kind) {
    throw new HttpError(status.badRequest(`an apply must name apiVersion ${served.apiVersion} and kind ${kind} (got ${JSON.stringify(configuration.apiVersion)}, ${JSON.stringify(configuration.kind)})`));
  }
  const metadata = configuration.metadata as { name?: unknown } | undefined;
  if (metadata?.name !== undefined && metadata.name !== name) {
    throw new HttpError(status.badRequest(`the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`));
  }
  return configuration;
}

/** The object a merge patch, strategic merge patch or JSON patch makes of `current`. */
function patched(type: string, current: JsonObject, body: unknown): Json {
  try {
    if (type === 'application/merge-patch+json') return mergePatch(current as Json, body as Json);
    if (type === 'application/strategic-merge-patch+json') return mergePatch(current as Json, body as Json, { strategic: true });
    if (type === 'application/json-patch+json') {
      if (!Array.isArray(body)) throw new HttpError(status.badRequest(`json: cannot unmarshal ${typeof body} into Go value of type jsonpatch.Patch`));
      return jsonPatch(current as Json, body);
    }
  } catch (error) {
    if (error instanceof JsonPatchError) throw new HttpError(status.failure(422, 'Invalid', 'the server rejected our request due to an error in our request', {}));
    throw error;
  }
  throw new HttpError(status.unsupportedMediaType(type, PATCH_TYPES.filter((t) => t !== APPLY_PATCH), true));
}
