/**
 * Server-side printing as kube-apiserver negotiates it from the Accept header: a Table (meta.k8s.io
 * v1, or v1beta1 when only that is acceptable) with kube-apiserver's columns for Leases (Name,
 * Holder, Age) and Events (Last Seen, Type, Reason, Object, Message and the wide ones), each row
 * carrying the object's metadata, the whole object or nothing (`includeObject`); or
 * PartialObjectMetadata(List), the metadata alone. Column descriptions are this project's words.
 */
import { HttpError } from './encoding.js';
import { lastSeen } from './events.js';
import type { StoredObject } from './objectStore.js';
import * as status from './status.js';

type JsonObject = Record<string, unknown>;

/** What a GET is answered with: the object itself, a Table, or its metadata alone. */
export type Rendering = { as: 'object' } | { as: 'Table'; apiVersion: string } | { as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'; apiVersion: string };

const OBJECT_TYPES = new Set(['application/json', 'application/*', '*/*', 'application/yaml']);

/** The first acceptable rendering in the Accept header's order (406 when none is). */
export function renderingOf(accept: string | undefined, list: boolean): Rendering {
  if (!accept) return { as: 'object' };
  for (const entry of accept.split(',')) {
    const [type, ...parameters] = entry.split(';').map((part) => part.trim());
    const params = Object.fromEntries(parameters.map((parameter) => parameter.split('=').map((part) => part.trim()) as [string, string]));
    if (type !== 'application/json' && !(params.as === undefined && OBJECT_TYPES.has(type ?? ''))) continue;
    if (params.as === undefined) return { as: 'object' };
    if (params.g !== 'meta.k8s.io' || (params.v !== 'v1' && params.v !== 'v1beta1')) continue;
    const apiVersion = `meta.k8s.io/${params.v}`;
    if (params.as === 'Table') return { as: 'Table', apiVersion };
    if (params.as === (list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata')) return { as: params.as, apiVersion };
  }
  throw new HttpError(status.failure(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf`));
}

/** Kubernetes' short human duration: 45s, 3m12s, 5h, 3d. */
export function humanAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

interface Column {
  name: string;
  description: string;
  priority?: number;
  format?: string;
  cell: (object: StoredObject, now: number) => string | number;
}

export interface TableRequest {
  apiVersion: string;
  /** "Metadata" (default), "Object" or "None". */
  includeObject: string;
  /** The object as the requested resource version shows it, for includeObject=Object. */
  present: (object: StoredObject) => JsonObject;
}

export type TablePrinter = (objects: StoredObject[], resourceVersion: number | undefined, now: number, request: TableRequest) => JsonObject;

const metadataOf = (object: StoredObject, apiVersion: string) => ({ kind: 'PartialObjectMetadata', apiVersion, metadata: object.metadata });

/** The object a Table row carries. */
function rowObject(object: StoredObject, request: TableRequest): unknown {
  switch (request.includeObject) {
    case '':
    case 'Metadata':
      return metadataOf(object, request.apiVersion);
    case 'Object':
      return request.present(object);
    case 'None':
      return null;
    default:
      throw new HttpError(status.badRequest(`unrecognized includeObject value: ${JSON.stringify(request.includeObject)}`));
  }
}

function printer(columns: Column[]): TablePrinter {
  const columnDefinitions = columns.map(({ name, description, priority, format }) => ({ name, type: 'string', format: format ?? '', description, priority: priority ?? 0 }));
  return (objects, resourceVersion, now, request) => ({
    kind: 'Table',
    apiVersion: request.apiVersion,
    metadata: resourceVersion === undefined ? {} : { resourceVersion: String(resourceVersion) },
    columnDefinitions,
    rows: objects.map((object) => ({ cells: columns.map((column) => column.cell(object, now)), object: rowObject(object, request) })),
  });
}

/** PartialObjectMetadata, or a PartialObjectMetadataList (whose items, unlike other lists', name their kind). */
export function partialMetadata(objects: StoredObject | StoredObject[], resourceVersion: number, apiVersion: string): JsonObject {
  if (!Array.isArray(objects)) return metadataOf(objects, apiVersion);
  return { kind: 'PartialObjectMetadataList', apiVersion, metadata: { resourceVersion: String(resourceVersion) }, items: objects.map((object) => metadataOf(object, apiVersion)) };
}

const age = (since: number | undefined, now: number) => (since === undefined || Number.isNaN(since) ? '<unknown>' : humanAge(now - since));
const timeOf = (value: unknown) => (typeof value === 'string' ? Date.parse(value) : undefined);

export const leaseTable = printer([
  { name: 'Name', format: 'name', description: 'The name of the lease, unique in its namespace.', cell: (o) => o.metadata.name },
  { name: 'Holder', description: 'Who holds the lease now.', cell: (o) => String((o.spec as { holderIdentity?: unknown } | undefined)?.holderIdentity ?? '') },
  { name: 'Age', description: 'Time since the lease was created.', cell: (o, now) => age(timeOf(o.metadata.creationTimestamp), now) },
]);

const first = (o: StoredObject) => timeOf(o.firstTimestamp) ?? timeOf(o.eventTime);
const text = (value: unknown) => (typeof value === 'string' ? value : '');

export const eventTable = printer([
  { name: 'Last Seen', description: 'When the event was last seen.', cell: (o, now) => age(o.series ? lastSeen(o) : (timeOf(o.lastTimestamp) ?? first(o)), now) },
  { name: 'Type', description: 'Normal or Warning.', cell: (o) => text(o.type) },
  { name: 'Reason', description: 'Why the event happened, in CamelCase.', cell: (o) => text(o.reason) },
  {
    name: 'Object',
    description: 'The object the event is about.',
    cell: (o) => {
      const about = (o.involvedObject ?? {}) as { kind?: string; name?: string };
      const kind = text(about.kind).toLowerCase();
      return about.name ? `${kind}/${about.name}` : kind;
    },
  },
  { name: 'Subobject', priority: 1, description: 'The part of the object the event is about.', cell: (o) => text((o.involvedObject as JsonObject | undefined)?.fieldPath) },
  {
    name: 'Source',
    priority: 1,
    description: 'The component and host that reported the event.',
    cell: (o) => {
      const source = (o.source ?? {}) as JsonObject;
      const component = text(source.component) || text(o.reportingComponent);
      const instance = text(source.host) || text(o.reportingInstance);
      return instance ? `${component}, ${instance}` : component;
    },
  },
  { name: 'Message', description: 'What happened, for a human.', cell: (o) => text(o.message).trim() },
  { name: 'First Seen', priority: 1, description: 'When the event was first seen.', cell: (o, now) => age(first(o), now) },
  { name: 'Count', priority: 1, description: 'How many times the event was seen.', cell: (o) => Number((o.series as JsonObject | undefined)?.count ?? o.count ?? 0) || 1 },
  { name: 'Name', priority: 1, format: 'name', description: 'The name of the event.', cell: (o) => o.metadata.name },
]);
