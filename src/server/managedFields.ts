/**
 * Field ownership as kube-apiserver keeps it in `metadata.managedFields`, for server-side apply.
 *
 * Every write records which manager set which fields: an apply (`application/apply-patch+yaml`)
 * owns exactly the fields of the configuration it sent; any other write takes the fields it
 * changed from whoever had them. An apply that would change a field another manager owns is
 * refused with a 409 naming the field and the manager, unless `force` hands the field over.
 *
 * Lease objects are shallow, so a field is a path of object keys to a value (scalars and lists are
 * atomic): `spec.holderIdentity`, `metadata.labels.app`. Ownership is written as FieldsV1
 * (`{"f:spec": {"f:holderIdentity": {}}}`).
 */
import { HttpError } from './encoding.js';
import * as status from './status.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
}

/** Metadata the server owns: never a field anyone manages. */
const SERVER_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generateName']);

const isObject = (value: Json): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The managed fields of an object, as dotted paths. */
export function fieldsOf(object: JsonObject): Set<string> {
  const fields = new Set<string>();
  const walk = (value: Json, path: string[]) => {
    if (isObject(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
    } else if (path.length > 0) {
      fields.add(JSON.stringify(path));
    }
  };
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if (key === 'metadata' && isObject(value)) {
      for (const [metaKey, metaValue] of Object.entries(value)) if (!SERVER_METADATA.has(metaKey)) walk(metaValue, ['metadata', metaKey]);
    } else {
      walk(value, [key]);
    }
  }
  return fields;
}

const pathOf = (field: string) => JSON.parse(field) as string[];
/** kube-apiserver's spelling of a field in conflict messages: `.spec.holderIdentity`. */
const spelled = (field: string) => `.${pathOf(field).join('.')}`;

function valueAt(object: Json, path: string[]): Json {
  let node = object;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

function setAt(object: JsonObject, path: string[], value: Json): void {
  let node = object;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as JsonObject;
  }
  node[path[path.length - 1]!] = structuredClone(value);
}

/** Removes a field, and the maps it leaves empty. */
function removeAt(object: JsonObject, path: string[]): void {
  const parents: JsonObject[] = [object];
  for (const key of path.slice(0, -1)) {
    const next = parents[parents.length - 1]![key];
    if (!isObject(next)) return;
    parents.push(next);
  }
  delete parents[parents.length - 1]![path[path.length - 1]!];
  for (let depth = parents.length - 1; depth > 0; depth--) {
    if (Object.keys(parents[depth]!).length > 0) break;
    delete parents[depth - 1]![path[depth - 1]!];
  }
}

const same = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b);

export function toFieldsV1(fields: Set<string>): JsonObject {
  const root: JsonObject = {};
  for (const field of [...fields].sort()) {
    let node = root;
    for (const key of pathOf(field)) node = (node[`f:${key}`] ??= {}) as JsonObject;
  }
  return root;
}

export function fromFieldsV1(fieldsV1: Json): Set<string> {
  const fields = new Set<string>();
  const walk = (node: Json, path: string[]) => {
    const children = isObject(node) ? Object.keys(node).filter((key) => key.startsWith('f:')) : [];
    if (children.length === 0 && path.length > 0) fields.add(JSON.stringify(path));
    for (const key of children) walk((node as JsonObject)[key], [...path, key.slice(2)]);
  };
  walk(fieldsV1, []);
  return fields;
}

interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  fields: Set<string>;
  time: string;
  apiVersion: string;
}

function ownersOf(object: JsonObject | undefined): Owner[] {
  const entries = ((object?.metadata as JsonObject | undefined)?.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.map((entry) => ({ manager: entry.manager, operation: entry.operation, fields: fromFieldsV1(entry.fieldsV1), time: entry.time, apiVersion: entry.apiVersion }));
}

function entriesOf(owners: Owner[]): ManagedFieldsEntry[] {
  return owners
    .filter((owner) => owner.fields.size > 0)
    .map((owner) => ({ manager: owner.manager, operation: owner.operation, apiVersion: owner.apiVersion, time: owner.time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(owner.fields) }));
}

function ownerFor(owners: Owner[], manager: string, operation: 'Apply' | 'Update', apiVersion: string, time: string): Owner {
  let owner = owners.find((o) => o.manager === manager && o.operation === operation);
  if (!owner) owners.push((owner = { manager, operation, fields: new Set(), time, apiVersion }));
  owner.time = time;
  return owner;
}

/**
 * The managedFields of `next` written by `manager` through an ordinary write (create, update,
 * patch): it takes the fields it added or changed; removed fields leave every owner.
 */
export function managedFieldsAfterUpdate(current: JsonObject | undefined, next: JsonObject, manager: string, apiVersion: string, time: string): ManagedFieldsEntry[] {
  const owners = ownersOf(current);
  const before = current ? fieldsOf(current) : new Set<string>();
  const after = fieldsOf(next);
  const changed = [...after].filter((field) => !before.has(field) || !same(valueAt(current, pathOf(field)), valueAt(next, pathOf(field))));
  const removed = [...before].filter((field) => !after.has(field));
  if (changed.length === 0 && removed.length === 0) return entriesOf(owners);
  for (const owner of owners) for (const field of [...changed, ...removed]) owner.fields.delete(field);
  const writer = ownerFor(owners, manager, 'Update', apiVersion, time);
  for (const field of changed) writer.fields.add(field);
  return entriesOf(owners);
}

export interface AppliedObject {
  object: JsonObject;
  managedFields: ManagedFieldsEntry[];
}

/**
 * Server-side apply of `configuration` by `manager` over `current` (undefined: the object is
 * created). Refuses with 409 Conflict when a field it would change belongs to another manager,
 * unless `force`; fields the manager applied before and dropped now are removed unless someone
 * else owns them.
 */
export function applyConfiguration(current: JsonObject | undefined, configuration: JsonObject, manager: string, force: boolean, time: string): AppliedObject {
  const apiVersion = String(configuration.apiVersion);
  const owners = ownersOf(current);
  const applied = fieldsOf(configuration);
  const live = current ?? {};
  const changes = [...applied].filter((field) => !same(valueAt(live, pathOf(field)), valueAt(configuration, pathOf(field))));
  const others = owners.filter((owner) => !(owner.manager === manager && owner.operation === 'Apply'));
  const conflicts = others.flatMap((owner) => changes.filter((field) => owner.fields.has(field)).map((field) => ({ owner, field })));
  if (conflicts.length > 0 && !force) throw new HttpError(conflictStatus(conflicts, String((configuration.metadata as JsonObject | undefined)?.name ?? '')));

  const object = structuredClone(live) as JsonObject;
  const mine = ownerFor(owners, manager, 'Apply', apiVersion, time);
  const dropped = [...mine.fields].filter((field) => !applied.has(field));
  for (const field of dropped) if (!others.some((owner) => owner.fields.has(field))) removeAt(object, pathOf(field));
  for (const field of applied) setAt(object, pathOf(field), valueAt(configuration, pathOf(field)));
  if (force) for (const owner of others) for (const field of changes) owner.fields.delete(field);
  mine.fields = applied;
  for (const key of ['apiVersion', 'kind']) object[key] = configuration[key];
  return { object, managedFields: entriesOf(owners) };
}

function conflictStatus(conflicts: { owner: Owner; field: string }[], name: string): status.Status {
  const byOwner = new Map<Owner, string[]>();
  for (const { owner, field } of conflicts) byOwner.set(owner, [...(byOwner.get(owner) ?? []), spelled(field)]);
  const who = (owner: Owner) => `"${owner.manager}" using ${owner.apiVersion}`;
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: conflict with ${who(conflicts[0]!.owner)}: ${spelled(conflicts[0]!.field)}`
      : `Apply failed with ${conflicts.length} conflicts: ${[...byOwner].map(([owner, fields]) => `conflicts with ${who(owner)}:\n${fields.map((f) => `- ${f}`).join('\n')}`).join('\n')}`;
  return status.failure(409, 'Conflict', message, {
    name,
    group: 'coordination.k8s.io',
    kind: 'leases',
    causes: conflicts.map(({ owner, field }) => ({ reason: 'FieldManagerConflict', message: `conflict with ${who(owner)}`, field: spelled(field) })),
  });
}

/** The manager of a write without `fieldManager`: the client's User-Agent up to the first '/'. */
export function defaultManager(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0]!.trim();
  return prefix === '' ? 'unknown' : prefix.slice(0, 128);
}
