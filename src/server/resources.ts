/**
 * The resources the server serves, each with where it is stored, how its bodies are admitted and
 * shown in its version, its table and its field selectors. core/v1 and events.k8s.io/v1 Events are
 * two views of the same stored objects.
 */
import { admitLease, type ServerFeatures } from './admission.js';
import { admitEvent, asEventsV1, CORE_EVENTS, coreEventFields, EVENTS_V1, eventsV1Fields, lastSeen } from './events.js';
import type { NewObject, Resource, StoredObject } from './objectStore.js';
import type { FieldReaders } from './selectors.js';
import { LEASES, type StatusSubject } from './status.js';
import { eventTable, leaseTable, type TablePrinter } from './table.js';

export interface ServedResource {
  subject: StatusSubject;
  stored: Resource;
  /** "coordination.k8s.io/v1", "v1". */
  apiVersion: string;
  listKind: string;
  /** Validates a decoded body (in this version) into the stored form; `current` is the object it replaces. */
  admit(body: unknown, namespace: string, urlName: string | undefined, current: StoredObject | undefined, features: ServerFeatures): NewObject;
  /** The stored object as this version shows it. */
  present(object: StoredObject): Record<string, unknown>;
  table: TablePrinter;
  fields: FieldReaders;
  /** Server-side apply is served for Leases only. */
  serverSideApply: boolean;
  /**
   * Objects that go away by themselves (kube-apiserver's --event-ttl, 1 h): dropped `ms` after
   * `since(object)`, and the oldest beyond `max`, whenever a new one is created.
   */
  expiry?: { ms: number; max: number; since: (object: StoredObject) => number };
}

/** Events live an hour after they were last seen, as with kube-apiserver's default --event-ttl; at most 10,000 are kept. */
const eventExpiry = { ms: 60 * 60_000, max: 10_000, since: lastSeen };

const asStored = (object: StoredObject) => object as unknown as Record<string, unknown>;

export const leases: ServedResource = {
  subject: LEASES,
  stored: 'leases',
  apiVersion: 'coordination.k8s.io/v1',
  listKind: 'LeaseList',
  admit: admitLease,
  present: asStored,
  table: leaseTable,
  fields: {},
  serverSideApply: true,
};

export const coreEvents: ServedResource = {
  subject: CORE_EVENTS,
  stored: 'events',
  apiVersion: 'v1',
  listKind: 'EventList',
  admit: (body, namespace, name) => admitEvent(body, namespace, name, 'v1'),
  present: asStored,
  table: eventTable,
  fields: coreEventFields,
  serverSideApply: false,
  expiry: eventExpiry,
};

export const eventsV1: ServedResource = {
  subject: EVENTS_V1,
  stored: 'events',
  apiVersion: 'events.k8s.io/v1',
  listKind: 'EventList',
  admit: (body, namespace, name) => admitEvent(body, namespace, name, 'events.k8s.io/v1'),
  present: asEventsV1,
  table: eventTable,
  fields: eventsV1Fields,
  serverSideApply: false,
  expiry: eventExpiry,
};

/** By URL prefix ("/apis/coordination.k8s.io/v1", "/api/v1") and plural. */
export const servedResources: { prefix: string; plural: string; resource: ServedResource }[] = [
  { prefix: '/apis/coordination.k8s.io/v1', plural: 'leases', resource: leases },
  { prefix: '/api/v1', plural: 'events', resource: coreEvents },
  { prefix: '/apis/events.k8s.io/v1', plural: 'events', resource: eventsV1 },
];
