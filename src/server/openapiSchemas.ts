/**
 * The types the server serves, once, with a description on every field: the OpenAPI v2 and v3
 * documents (openapi.ts) are both generated from these, so `kubectl explain` reads the same words
 * in every kubectl version.
 */

export interface Field {
  description: string;
  type?: 'string' | 'integer' | 'boolean' | 'object' | 'array';
  format?: string;
  /** Another definition, by name. */
  ref?: string;
  /** Array items or map values. */
  items?: Field;
  /** A map with `items` as values. */
  map?: boolean;
}

export interface Definition {
  description: string;
  type: 'object' | 'string';
  format?: string;
  properties?: Record<string, Field>;
  required?: string[];
  /** Kinds this definition is the schema of. */
  gvk?: { group: string; version: string; kind: string }[];
}

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const LEASE = 'io.k8s.api.coordination.v1.Lease';
export const LEASE_LIST = 'io.k8s.api.coordination.v1.LeaseList';
export const LEASE_SPEC = 'io.k8s.api.coordination.v1.LeaseSpec';
export const CORE_EVENT = 'io.k8s.api.core.v1.Event';
export const CORE_EVENT_LIST = 'io.k8s.api.core.v1.EventList';
export const EVENT_V1 = 'io.k8s.api.events.v1.Event';
export const EVENT_V1_LIST = 'io.k8s.api.events.v1.EventList';

const str = (description: string): Field => ({ type: 'string', description });
const int32 = (description: string): Field => ({ type: 'integer', format: 'int32', description });
const int64 = (description: string): Field => ({ type: 'integer', format: 'int64', description });
const ref = (name: string, description: string): Field => ({ ref: name, description });
const stringMap = (description: string): Field => ({ type: 'object', map: true, items: { type: 'string', description: '' }, description });
const listOf = (name: string, description: string): Field => ({ type: 'array', items: { ref: name, description: '' }, description });

const typeMeta = {
  apiVersion: str('The versioned schema of this object (group/version). The server answers with the version it stores.'),
  kind: str('The REST resource this object represents, in CamelCase.'),
};

const listMeta = (item: string, what: string): Definition['properties'] => ({
  ...typeMeta,
  items: listOf(item, `The ${what}.`),
  metadata: ref(`${META}.ListMeta`, 'The resourceVersion of the list, to watch from.'),
});

/** What both versions of an Event say about one field, under either name. */
const eventFields = {
  regarding: ref('io.k8s.api.core.v1.ObjectReference', 'The object this event is about.'),
  note: str('What happened, for a human; at most 1 kB.'),
  reportingController: str('The controller that emitted the event, e.g. example.com/my-operator.'),
  source: ref('io.k8s.api.core.v1.EventSource', 'The component and host that reported the event (legacy).'),
  firstTimestamp: ref(`${META}.Time`, 'When the event was first seen (legacy).'),
  lastTimestamp: ref(`${META}.Time`, 'When the event was last seen (legacy).'),
  count: int32('How many times the event was seen (legacy).'),
};
const sharedEventFields = {
  action: str('What the reporting controller did, or failed to do.'),
  eventTime: ref(`${META}.MicroTime`, 'When the event was first observed.'),
  reason: str('Why the event happened, in CamelCase (for example LeaderElection).'),
  related: ref('io.k8s.api.core.v1.ObjectReference', 'A second object the event involves.'),
  reportingInstance: str('The instance of the reporting controller, e.g. its pod or host.'),
  type: str('Normal or Warning.'),
};
const eventGvk = (group: string, kind: string) => [{ group, version: 'v1', kind }];

export const definitions: Record<string, Definition> = {
  [CORE_EVENT]: {
    description: 'A report of something that happened to an object, kept for an hour.',
    type: 'object',
    properties: {
      ...typeMeta,
      metadata: ref(`${META}.ObjectMeta`, 'Standard object metadata.'),
      ...sharedEventFields,
      involvedObject: eventFields.regarding,
      message: eventFields.note,
      reportingComponent: eventFields.reportingController,
      series: ref('io.k8s.api.core.v1.EventSeries', 'Repeats of the event, for events that recur.'),
      source: eventFields.source,
      firstTimestamp: eventFields.firstTimestamp,
      lastTimestamp: eventFields.lastTimestamp,
      count: eventFields.count,
    },
    required: ['metadata', 'involvedObject'],
    gvk: eventGvk('', 'Event'),
  },
  [CORE_EVENT_LIST]: { description: 'A list of Events.', type: 'object', properties: listMeta(CORE_EVENT, 'events'), required: ['items'], gvk: eventGvk('', 'EventList') },
  [EVENT_V1]: {
    description: 'A report of something that happened to an object, kept for an hour (the same objects as core/v1 Events).',
    type: 'object',
    properties: {
      ...typeMeta,
      metadata: ref(`${META}.ObjectMeta`, 'Standard object metadata.'),
      ...sharedEventFields,
      regarding: eventFields.regarding,
      note: eventFields.note,
      reportingController: eventFields.reportingController,
      series: ref('io.k8s.api.events.v1.EventSeries', 'Repeats of the event, for events that recur.'),
      deprecatedSource: eventFields.source,
      deprecatedFirstTimestamp: eventFields.firstTimestamp,
      deprecatedLastTimestamp: eventFields.lastTimestamp,
      deprecatedCount: eventFields.count,
    },
    required: ['eventTime'],
    gvk: eventGvk('events.k8s.io', 'Event'),
  },
  [EVENT_V1_LIST]: { description: 'A list of Events.', type: 'object', properties: listMeta(EVENT_V1, 'events'), required: ['items'], gvk: eventGvk('events.k8s.io', 'EventList') },
  'io.k8s.api.core.v1.EventSeries': {
    description: 'How often an event recurred.',
    type: 'object',
    properties: { count: int32('How many times it was seen.'), lastObservedTime: ref(`${META}.MicroTime`, 'When it was last seen.') },
  },
  'io.k8s.api.events.v1.EventSeries': {
    description: 'How often an event recurred.',
    type: 'object',
    properties: { count: int32('How many times it was seen.'), lastObservedTime: ref(`${META}.MicroTime`, 'When it was last seen.') },
    required: ['count', 'lastObservedTime'],
  },
  'io.k8s.api.core.v1.EventSource': {
    description: 'The component and host that reported an event.',
    type: 'object',
    properties: { component: str('The reporting component.'), host: str('The host it runs on.') },
  },
  'io.k8s.api.core.v1.ObjectReference': {
    description: 'A reference to an object by kind, namespace and name.',
    type: 'object',
    properties: Object.fromEntries(
      (['apiVersion', 'fieldPath', 'kind', 'name', 'namespace', 'resourceVersion', 'uid'] as const).map((field) => [field, str(`The referenced object's ${field}.`)]),
    ),
  },
  [LEASE]: {
    description: 'A Lease records who holds a named lock and until when: leader election and node heartbeats use it.',
    type: 'object',
    properties: {
      ...typeMeta,
      metadata: ref(`${META}.ObjectMeta`, 'Standard object metadata: name, namespace, labels, resourceVersion.'),
      spec: ref(LEASE_SPEC, 'What the holder declares about the lease.'),
    },
    gvk: [{ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' }],
  },
  [LEASE_LIST]: {
    description: 'A list of Leases.',
    type: 'object',
    properties: listMeta(LEASE, 'leases'),
    required: ['items'],
    gvk: [{ group: 'coordination.k8s.io', version: 'v1', kind: 'LeaseList' }],
  },
  [LEASE_SPEC]: {
    description: 'The state of a lease as its holder wrote it.',
    type: 'object',
    properties: {
      acquireTime: ref(`${META}.MicroTime`, 'When the current holder took the lease.'),
      holderIdentity: str('Who holds the lease now; empty when nobody does.'),
      leaseDurationSeconds: int32('How long candidates must see the lease unchanged before they may take it, counted from the last change they observed.'),
      leaseTransitions: int32('How many times the lease changed hands; it never decreases, so it serves as a fencing term.'),
      preferredHolder: str('The holder a coordinated leader election would like to hand the lease to next.'),
      renewTime: ref(`${META}.MicroTime`, 'When the holder last renewed the lease.'),
      strategy: str('The strategy coordinated leader election uses to pick a holder (for example OldestEmulationVersion).'),
    },
  },
  [`${META}.MicroTime`]: {
    description: 'A timestamp with microseconds: RFC 3339 with exactly six fractional digits.',
    type: 'string',
    format: 'date-time',
  },
  [`${META}.Time`]: {
    description: 'A timestamp in RFC 3339 to the second.',
    type: 'string',
    format: 'date-time',
  },
  [`${META}.FieldsV1`]: {
    description: 'The set of fields a manager owns, as a trie of "f:<name>" keys.',
    type: 'object',
  },
  [`${META}.ListMeta`]: {
    description: 'The metadata of a list.',
    type: 'object',
    properties: {
      continue: str('Set when the list was cut short; pass it back to read on.'),
      remainingItemCount: int64('How many items the rest of a cut-short list holds.'),
      resourceVersion: str('The version of the store the list was read at; watch from it to see every later change.'),
      selfLink: str('Deprecated and never set.'),
    },
  },
  [`${META}.ManagedFieldsEntry`]: {
    description: 'Which fields one manager set, through which operation, and when.',
    type: 'object',
    properties: {
      apiVersion: str('The version of the fields listed.'),
      fieldsType: str('The format of fieldsV1: always FieldsV1.'),
      fieldsV1: ref(`${META}.FieldsV1`, 'The fields this manager owns.'),
      manager: str('Who set the fields: the fieldManager of the request.'),
      operation: str('Apply (server-side apply) or Update (any other write).'),
      subresource: str('The subresource the fields were written through; empty for the object itself.'),
      time: ref(`${META}.Time`, 'When this manager last changed one of its fields.'),
    },
  },
  [`${META}.OwnerReference`]: {
    description: 'An object this one belongs to; it is collected when its owner is deleted.',
    type: 'object',
    properties: {
      apiVersion: str('The owner\'s API version.'),
      blockOwnerDeletion: { type: 'boolean', description: 'Whether the owner\'s foreground deletion waits for this object.' },
      controller: { type: 'boolean', description: 'Whether the owner is this object\'s managing controller.' },
      kind: str('The owner\'s kind.'),
      name: str('The owner\'s name.'),
      uid: str('The owner\'s uid.'),
    },
    required: ['apiVersion', 'kind', 'name', 'uid'],
  },
  [`${META}.ObjectMeta`]: {
    description: 'The metadata every persisted object has.',
    type: 'object',
    properties: {
      annotations: stringMap('Free-form key/value data for tools; not used to select objects.'),
      creationTimestamp: ref(`${META}.Time`, 'When the server created the object; set by the server, read-only.'),
      deletionGracePeriodSeconds: int64('Seconds the object has left to terminate once deletion started.'),
      deletionTimestamp: ref(`${META}.Time`, 'When deletion was requested; set by the server.'),
      finalizers: { type: 'array', items: { type: 'string', description: '' }, description: 'What must happen before the object is removed.' },
      generateName: str('A prefix the server completes into a unique name when no name is given.'),
      generation: int64('A sequence number of changes to the desired state; set by the server.'),
      labels: stringMap('Key/value pairs to select objects by (labelSelector).'),
      managedFields: listOf(`${META}.ManagedFieldsEntry`, 'Which field manager set which fields; maintained by the server.'),
      name: str('Unique within the namespace: a lowercase RFC 1123 subdomain.'),
      namespace: str('The namespace the object lives in: a lowercase RFC 1123 label.'),
      ownerReferences: listOf(`${META}.OwnerReference`, 'The objects this one depends on.'),
      resourceVersion: str('Opaque version of the object: updates conditional on it fail with 409 Conflict when it changed.'),
      selfLink: str('Deprecated and never set.'),
      uid: str('Unique in time and space for this object; set by the server.'),
    },
  },
};
