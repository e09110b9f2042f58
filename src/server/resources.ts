/**
 * The resources the server serves, each with where it is stored, its Go shape in its version, how
 * an object of its version is validated and stored, and how a stored one is shown; its table and
 * field selectors. core/v1 and events.k8s.io/v1 Events are two views of the same stored objects.
 */
import { dropDisabledLeaseFields, leaseCauses, type ServerFeatures } from './admission.js';
import { asCoreEvent, asEventsV1, CORE_EVENTS, CORE_VERSION, coreEventFields, eventCauses, EVENTS_V1, EVENTS_VERSION, eventsV1Fields, eventVersions } from './events.js';
import { CORE_EVENT_SHAPE, EVENT_V1_SHAPE, LEASE_SHAPE, type Shape } from './goShapes.js';
import type { Versions } from './managedFields.js';
import type { Resource, StoredObject } from './objectStore.js';
import type { FieldReaders } from './selectors.js';
import { LEASES, type StatusCause, type StatusSubject } from './status.js';
import { eventTable, leaseTable, type TablePrinter } from './table.js';

type JsonObject = Record<string, unknown>;

export interface ServedResource {
  subject: StatusSubject;
  stored: Resource;
  /** "coordination.k8s.io/v1", "v1". */
  apiVersion: string;
  listKind: string;
  /** Its Go type in this version. */
  shape: Shape;
  versions: Versions;
  /** What a disabled feature gate hides is dropped (kube-apiserver's PrepareForCreate/Update), after field ownership is recorded. */
  prepare(object: JsonObject, current: JsonObject | undefined, features: ServerFeatures): void;
  /** Validation causes (422) of an object of this version (`current`: the object it replaces, in the stored form). */
  validate(object: JsonObject, namespace: string, current: JsonObject | undefined): StatusCause[];
  /** An object of this version in the stored form. */
  toStored(object: JsonObject): JsonObject;
  /** A stored object as this version shows it. */
  present(object: StoredObject): JsonObject;
  table: TablePrinter;
  fields: FieldReaders;
  /** Server-side apply is served for Leases only. */
  serverSideApply: boolean;
  /**
   * Objects that go away by themselves (kube-apiserver's --event-ttl, 1 h): dropped `ms` after they
   * were last written, and the oldest beyond `max`, whenever a new one is created.
   */
  expiry?: { ms: number; max: number };
}

/** Events live an hour after they were last written, as with kube-apiserver's default --event-ttl; at most 10,000 are kept. */
const eventExpiry = { ms: 60 * 60_000, max: 10_000 };

const same = (object: JsonObject) => object;
const leaseVersions: Versions = { shape: () => LEASE_SHAPE, convert: (object) => object };

export const leases: ServedResource = {
  subject: LEASES,
  stored: 'leases',
  apiVersion: 'coordination.k8s.io/v1',
  listKind: 'LeaseList',
  shape: LEASE_SHAPE,
  versions: leaseVersions,
  prepare: dropDisabledLeaseFields,
  validate: (lease, namespace) => leaseCauses(lease, namespace),
  toStored: same,
  present: (object) => object as unknown as JsonObject,
  table: leaseTable,
  fields: {},
  serverSideApply: true,
};

const noPreparation = () => undefined;

export const coreEvents: ServedResource = {
  subject: CORE_EVENTS,
  stored: 'events',
  apiVersion: CORE_VERSION,
  listKind: 'EventList',
  shape: CORE_EVENT_SHAPE,
  versions: eventVersions,
  prepare: noPreparation,
  validate: (event, namespace, current) => eventCauses(event, namespace, CORE_VERSION, current),
  toStored: same,
  present: (object) => object as unknown as JsonObject,
  table: eventTable,
  fields: coreEventFields,
  serverSideApply: false,
  expiry: eventExpiry,
};

export const eventsV1: ServedResource = {
  subject: EVENTS_V1,
  stored: 'events',
  apiVersion: EVENTS_VERSION,
  listKind: 'EventList',
  shape: EVENT_V1_SHAPE,
  versions: eventVersions,
  prepare: noPreparation,
  validate: (event, namespace, current) => eventCauses(asCoreEvent(event), namespace, EVENTS_VERSION, current),
  toStored: asCoreEvent,
  present: (object) => asEventsV1(object as unknown as JsonObject),
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
