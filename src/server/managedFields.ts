/**
 * Field ownership as kube-apiserver keeps it in `metadata.managedFields`.
 *
 * A field is a path of keys. An ordinary write (create, update, patch) by a manager compares the
 * object before and after, in the request's version: the paths it added or changed become the
 * manager's (taken from any other manager), the paths it removed leave every manager. A map or
 * pointer struct that appears is itself a path beside its entries (FieldsV1 writes it "."); a
 * non-pointer struct is always there and never is; an atomic struct is one path. The manager's
 * time moves only when its write changed something.
 *
 * A server-side apply (`application/apply-patch+yaml`) owns exactly the paths of its configuration
 * (leaves, atomic structs, map entries, empty maps). Fields it applied before and dropped now are
 * removed unless another manager owns them. Changing a field another manager owns is a 409 that
 * names both, unless `force` hands the field over; applying the value a field already has shares
 * it. The applier's time moves only when the apply changed the object.
 *
 * Entries are kept sorted as kube-apiserver sorts them: Apply before Update, then by time (none
 * first), manager and apiVersion.
 */
import { isDeepStrictEqual } from 'node:util';
import { fieldShape, goShaped, type Shape, zeroObject } from './goShapes.js';
import { HttpError } from './encoding.js';
import * as status from './status.js';

type Json = unknown;
type JsonObject = Record<string, Json>;
type Path = string[];

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
}

/** The kinds' forms in each of their versions: field sets are computed in a manager's own version. */
export interface Versions {
  shape(apiVersion: string): Shape;
  /** The object (in `from`'s form) in `to`'s form. */
  convert(object: Json, from: string, to: string): Json;
}

const isObject = (value: Json): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const same = (a: Json, b: Json) => a === b || isDeepStrictEqual(a, b);
const keyOf = (path: Path) => JSON.stringify(path);
const pathOf = (key: string) => JSON.parse(key) as Path;

function sortedDeep(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortedDeep(value[key])]));
}

/** Metadata the server owns, and the metadata struct itself: never a managed field. */
const SERVER_METADATA = ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'];

function withoutServerFields(object: Json): JsonObject {
  const result: JsonObject = isObject(object) ? { ...object } : {};
  delete result.apiVersion;
  delete result.kind;
  if (isObject(result.metadata)) {
    const metadata = { ...result.metadata };
    for (const field of SERVER_METADATA) delete metadata[field];
    result.metadata = metadata;
  }
  return result;
}

const managed = (keys: Set<string>) => new Set([...keys].filter((key) => key !== keyOf(['metadata'])));

interface Comparison {
  added: Set<string>;
  modified: Set<string>;
  removed: Set<string>;
}

/** What changed from `before` to `after` (both in one version's Go shape), as field paths. */
export function compareObjects(before: Json, after: Json, shape: Shape): Comparison {
  const comparison: Comparison = { added: new Set(), modified: new Set(), removed: new Set() };
  compareAt(withoutServerFields(before), withoutServerFields(after), shape, [], comparison);
  for (const set of Object.values(comparison)) set.delete(keyOf(['metadata']));
  return comparison;
}

function compareAt(lhs: Json, rhs: Json, shape: Shape | undefined, path: Path, into: Comparison): void {
  const granular = shape?.kind === 'map' || (shape?.kind === 'struct' && !shape.atomic);
  const bothEmpty = (!isObject(lhs) || Object.keys(lhs).length === 0) && (!isObject(rhs) || Object.keys(rhs).length === 0);
  if (!granular || bothEmpty) {
    if (path.length === 0) return;
    if (lhs === undefined) into.added.add(keyOf(path));
    else if (rhs === undefined) into.removed.add(keyOf(path));
    else if (!same(lhs, rhs)) into.modified.add(keyOf(path));
    return;
  }
  const left = isObject(lhs) ? lhs : {};
  const right = isObject(rhs) ? rhs : {};
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    compareAt(left[key], right[key], shape.kind === 'struct' ? shape.fields[key] : undefined, [...path, key], into);
  }
  if (path.length === 0) return;
  if (lhs === undefined) into.added.add(keyOf(path));
  else if (rhs === undefined) into.removed.add(keyOf(path));
}

/** The paths an apply configuration names: leaves, atomic structs, map entries, empty or null maps. */
export function configurationFields(configuration: Json, shape: Shape): Set<string> {
  const fields = new Set<string>();
  const walk = (value: Json, valueShape: Shape | undefined, path: Path) => {
    const granular = valueShape?.kind === 'map' || (valueShape?.kind === 'struct' && !valueShape.atomic);
    if (!granular) {
      fields.add(keyOf(path));
      return;
    }
    if (!isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const childShape = fieldShape(valueShape, key);
      walk(child, childShape, [...path, key]);
      const declared = valueShape.kind === 'struct' && key in valueShape.fields;
      if (child === null || (isObject(child) && Object.keys(child).length === 0) || !declared) fields.add(keyOf([...path, key]));
    }
  };
  walk(withoutServerFields(configuration), shape, []);
  return managed(fields);
}

/** `configuration` merged into `live`: its values win, maps and granular structs merge key by key. */
export function mergeConfiguration(live: Json, configuration: Json, shape: Shape | undefined): Json {
  const granular = shape?.kind === 'map' || (shape?.kind === 'struct' && !shape.atomic);
  if (!granular || !isObject(configuration) || !isObject(live)) return structuredClone(configuration);
  const merged: JsonObject = { ...live };
  for (const [key, value] of Object.entries(configuration)) merged[key] = key in live ? mergeConfiguration(live[key], value, fieldShape(shape, key)) : structuredClone(value);
  return merged;
}

function removeAt(object: Json, path: Path): void {
  let node = object;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node)) return;
    node = node[key];
  }
  if (isObject(node)) delete node[path[path.length - 1]!];
}

export function toFieldsV1(fields: Set<string>): JsonObject {
  const root: JsonObject = {};
  const paths = [...fields].map(pathOf);
  const hasChildren = new Set(paths.filter((path) => path.length > 1).flatMap((path) => path.slice(0, -1).map((_, index) => keyOf(path.slice(0, index + 1)))));
  for (const path of paths) {
    let node = root;
    for (const key of path) node = (node[`f:${key}`] ??= {}) as JsonObject;
    if (hasChildren.has(keyOf(path))) node['.'] = {};
  }
  return sortedDeep(root) as JsonObject;
}

export function fromFieldsV1(fieldsV1: Json): Set<string> {
  const fields = new Set<string>();
  const walk = (node: Json, path: Path) => {
    const keys = isObject(node) ? Object.keys(node) : [];
    const children = keys.filter((key) => key.startsWith('f:'));
    if ((children.length === 0 || keys.includes('.')) && path.length > 0) fields.add(keyOf(path));
    for (const key of children) walk((node as JsonObject)[key], [...path, key.slice(2)]);
  };
  walk(fieldsV1, []);
  return fields;
}

interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string | undefined;
  fields: Set<string>;
}

function ownersOf(entries: Json): Owner[] {
  if (!Array.isArray(entries)) return [];
  return (entries as ManagedFieldsEntry[])
    .filter((entry) => isObject(entry) && typeof entry.manager === 'string' && (entry.operation === 'Apply' || entry.operation === 'Update'))
    .map((entry) => ({ manager: entry.manager, operation: entry.operation, apiVersion: String(entry.apiVersion ?? ''), time: entry.time, fields: fromFieldsV1(entry.fieldsV1) }));
}

/** The entries to store: empty owners gone, in kube-apiserver's order. */
function entriesOf(owners: Owner[]): ManagedFieldsEntry[] | undefined {
  const seconds = (owner: Owner) => (owner.time ? Date.parse(owner.time) / 1000 : 0);
  const kept = owners
    .filter((owner) => owner.fields.size > 0)
    .sort(
      (p, q) =>
        (p.operation === q.operation ? 0 : p.operation < q.operation ? -1 : 1) ||
        seconds(p) - seconds(q) ||
        (p.manager === q.manager ? 0 : p.manager < q.manager ? -1 : 1) ||
        (p.apiVersion === q.apiVersion ? 0 : p.apiVersion < q.apiVersion ? -1 : 1),
    );
  if (kept.length === 0) return undefined;
  return kept.map((owner) => ({
    manager: owner.manager,
    operation: owner.operation,
    apiVersion: owner.apiVersion,
    ...(owner.time ? { time: owner.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(owner.fields),
  }));
}

export interface Write {
  /** The object before (in the request's version, Go-shaped); undefined when the write creates it. */
  live: Json;
  /** The managedFields before: the live object's, or the ones the request carries. */
  entries: Json;
  manager: string;
  apiVersion: string;
  /** Server time, RFC 3339 to the second. */
  time: string;
  versions: Versions;
}

/**
 * Takes the changes of every other owner away: fields this write changed (a conflict, refused by
 * an apply without force) or removed. Each owner's changes are compared in its own version.
 */
function takeFrom(others: Owner[], write: Write, live: Json, next: Json, force: boolean, inRequestVersion: Comparison): void {
  const conflicts: { owner: Owner; field: string }[] = [];
  const removedBy = new Map<Owner, Set<string>>();
  // One comparison per version: owners in the request's version share the one already made.
  const byVersion = new Map<string, Comparison>([[write.apiVersion, inRequestVersion]]);
  for (const owner of others) {
    let comparison = byVersion.get(owner.apiVersion);
    if (!comparison) {
      const convert = (object: Json) => write.versions.convert(object, write.apiVersion, owner.apiVersion);
      comparison = compareObjects(convert(live), convert(next), write.versions.shape(owner.apiVersion));
      byVersion.set(owner.apiVersion, comparison);
    }
    const { added, modified, removed } = comparison;
    for (const field of owner.fields) if (added.has(field) || modified.has(field)) conflicts.push({ owner, field });
    removedBy.set(owner, removed);
  }
  if (conflicts.length > 0 && !force) throw new HttpError(conflictStatus(conflicts));
  for (const { owner, field } of conflicts) owner.fields.delete(field);
  for (const [owner, removed] of removedBy) for (const field of removed) owner.fields.delete(field);
}

/** The managedFields after an ordinary write of `next` (Go-shaped, in the request's version). */
export function managedFieldsAfterUpdate(write: Write, next: Json): ManagedFieldsEntry[] | undefined {
  const shape = write.versions.shape(write.apiVersion);
  const live = write.live ?? zeroObject(shape);
  const owners = ownersOf(write.entries);
  const comparison = compareObjects(live, next, shape);
  takeFrom(owners, write, live, next, true, comparison);
  const { added, modified } = comparison;
  const taken = new Set([...added, ...modified]);
  if (taken.size > 0) {
    // Update owners are told apart by version too: one manager writing in two versions owns twice.
    let owner = owners.find((o) => o.manager === write.manager && o.operation === 'Update' && o.apiVersion === write.apiVersion);
    if (!owner) owners.push((owner = { manager: write.manager, operation: 'Update', apiVersion: write.apiVersion, time: undefined, fields: new Set() }));
    for (const field of taken) owner.fields.add(field);
    owner.time = write.time;
  }
  return entriesOf(owners);
}

export interface AppliedObject {
  /** The object the apply makes, Go-shaped in the request's version. */
  object: Json;
  managedFields: ManagedFieldsEntry[] | undefined;
}

/** Server-side apply of `configuration` by `write.manager` (409 on a conflict unless `force`). */
export function applyConfiguration(write: Write, configuration: JsonObject, force: boolean): AppliedObject {
  const shape = write.versions.shape(write.apiVersion);
  const live = write.live ?? zeroObject(shape);
  const owners = ownersOf(write.entries);
  let mine = owners.find((o) => o.manager === write.manager && o.operation === 'Apply');
  const lastApplied = mine?.fields ?? new Set<string>();
  const applied = configurationFields(configuration, shape);
  if (!mine) owners.push((mine = { manager: write.manager, operation: 'Apply', apiVersion: write.apiVersion, time: undefined, fields: applied }));
  mine.fields = applied;
  mine.apiVersion = write.apiVersion;
  const others = owners.filter((owner) => owner !== mine);
  const merged = mergeConfiguration(live, configuration, shape);
  for (const field of lastApplied) {
    if (!applied.has(field) && !others.some((owner) => owner.fields.has(field))) removeAt(merged, pathOf(field));
  }
  const object = goShaped(merged, shape);
  takeFrom(others, write, live, object, force, compareObjects(live, object, shape));
  if (!same(withoutServerFields(live), withoutServerFields(object))) mine.time = write.time;
  return { object, managedFields: entriesOf(owners) };
}

/** kube-apiserver's apply conflict: the message lists the fields by manager; the details carry only the causes. */
function conflictStatus(conflicts: { owner: Owner; field: string }[]): status.Status {
  const spelled = (field: string) => `.${pathOf(field).join('.')}`;
  const byOwner = new Map<Owner, string[]>();
  for (const { owner, field } of conflicts) byOwner.set(owner, [...(byOwner.get(owner) ?? []), spelled(field)]);
  const who = (owner: Owner) => `"${owner.manager}"${owner.operation === 'Update' ? ` using ${owner.apiVersion}` : ''}`;
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: conflict with ${who(conflicts[0]!.owner)}: ${spelled(conflicts[0]!.field)}`
      : `Apply failed with ${conflicts.length} conflicts: ${[...byOwner].map(([owner, fields]) => `conflicts with ${who(owner)}:\n${fields.map((f) => `- ${f}`).join('\n')}`).join('\n')}`;
  return status.failure(409, 'Conflict', message, {
    causes: conflicts.map(({ owner, field }) => ({ reason: 'FieldManagerConflict', message: `conflict with ${who(owner)}`, field: spelled(field) })),
  });
}

/** The manager of a write without `fieldManager`: the client's User-Agent up to the first '/'. */
export function defaultManager(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0]!.trim();
  return prefix === '' ? 'unknown' : prefix.slice(0, 128);
}
