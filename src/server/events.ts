/**
 * Events, as kube-apiserver serves them in two versions of one object: core/v1 (`involvedObject`,
 * `message`, `count`, what `kubectl get events` and client-go's legacy EventRecorder use) and
 * events.k8s.io/v1 (`regarding`, `note`, `series`, the newer recorder). They are stored in the
 * core/v1 form and converted on the way in and out. Validation is kube-apiserver's: a core/v1
 * write is checked only as the legacy recorder needs (the involved object's namespace; with an
 * eventTime, the reporting fields), an events.k8s.io/v1 write also for its metadata, eventTime,
 * type and the legacy fields it must leave unset, and an update through it may not change what
 * the event says.
 */
import { objectCauses } from './admission.js';
import { CORE_EVENT_SHAPE, EVENT_V1_SHAPE, goShaped } from './goShapes.js';
import type { Versions } from './managedFields.js';
import type { StoredObject } from './objectStore.js';
import type { StatusCause, StatusSubject } from './status.js';
import { qualifiedNameProblems } from './validation.js';

type JsonObject = Record<string, unknown>;

export const CORE_EVENTS: StatusSubject = { qualified: 'events', group: '', plural: 'events', kind: 'Event' };
export const EVENTS_V1: StatusSubject = { qualified: 'events.events.k8s.io', group: 'events.k8s.io', plural: 'events', kind: 'Event' };

export const CORE_VERSION = 'v1';
export const EVENTS_VERSION = 'events.k8s.io/v1';

/** core/v1 field ↔ events.k8s.io/v1 field. */
const RENAMED: [core: string, v1: string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];
const SHARED = ['metadata', 'eventTime', 'series', 'reportingInstance', 'action', 'reason', 'related', 'type'];

/** A core/v1 Event as events.k8s.io/v1 shows it. */
export function asEventsV1(event: JsonObject): JsonObject {
  const shown: JsonObject = {};
  for (const field of SHARED) shown[field] = event[field];
  for (const [core, v1] of RENAMED) shown[v1] = event[core];
  return { apiVersion: EVENTS_VERSION, kind: 'Event', ...(goShaped(shown, EVENT_V1_SHAPE) as JsonObject) };
}

/** An events.k8s.io/v1 Event in the stored core/v1 form. */
export function asCoreEvent(event: JsonObject): JsonObject {
  const core: JsonObject = {};
  for (const field of SHARED) core[field] = event[field];
  for (const [coreField, v1] of RENAMED) core[coreField] = event[v1];
  return { apiVersion: CORE_VERSION, kind: 'Event', ...(goShaped(core, CORE_EVENT_SHAPE) as JsonObject) };
}

export const eventVersions: Versions = {
  shape: (apiVersion) => (apiVersion === EVENTS_VERSION ? EVENT_V1_SHAPE : CORE_EVENT_SHAPE),
  convert: (object, from, to) => {
    if (from === to) return object;
    return to === EVENTS_VERSION ? asEventsV1(object as JsonObject) : asCoreEvent(object as JsonObject);
  },
};

type Cause = StatusCause;
const required = (field: string): Cause => ({ reason: 'FieldValueRequired', field, message: 'Required value' });
const invalid = (field: string, value: unknown, why: string): Cause => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
const atMost = (field: string, limit: number, value: unknown) => (String(value ?? '').length > limit ? [invalid(field, '', `can have at most ${limit} characters`)] : []);

/** What both versions check, on the core/v1 form (kube-apiserver's legacy event validation). */
function legacyCauses(event: JsonObject, namespace: string, version: string): Cause[] {
  const causes: Cause[] = [];
  const involvedNamespace = String((event.involvedObject as JsonObject | undefined)?.namespace ?? '');
  const reportingField = version === CORE_VERSION ? 'reportingComponent' : 'reportingController';
  const mismatch = () => causes.push(invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'));
  if (!event.eventTime) {
    if (involvedNamespace === '' ? namespace !== '' && namespace !== 'default' : namespace !== involvedNamespace) mismatch();
    return causes;
  }
  if (involvedNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') mismatch();
  const controller = String(event.reportingComponent ?? '');
  if (controller === '') causes.push(required(reportingField));
  for (const why of qualifiedNameProblems(controller)) causes.push(invalid(reportingField, controller, why));
  if (!event.reportingInstance) causes.push(required('reportingInstance'));
  causes.push(...atMost('reportingInstance', 128, event.reportingInstance));
  if (!event.action) causes.push(required('action'));
  causes.push(...atMost('action', 128, event.action));
  if (!event.reason) causes.push(required('reason'));
  causes.push(...atMost('reason', 128, event.reason));
  causes.push(...atMost('message', 1024, event.message));
  return causes;
}

function seriesCauses(event: JsonObject): Cause[] {
  const series = event.series as JsonObject | undefined;
  if (!series) return [];
  return [...(Number(series.count ?? 0) < 2 ? [invalid('series.count', '', 'should be at least 2')] : []), ...(series.lastObservedTime ? [] : [required('series.lastObservedTime')])];
}

/** The Event's validation causes (on the core/v1 form); `current` is the stored Event an update replaces. */
export function eventCauses(event: JsonObject, namespace: string, version: string, current: JsonObject | undefined): Cause[] {
  const causes = legacyCauses(event, namespace, version);
  if (version === CORE_VERSION) return causes;
  if (current) {
    const immutable = ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'action', 'related', 'reportingComponent', 'reportingInstance'];
    if (JSON.stringify(event.series) !== JSON.stringify(current.series)) causes.push(...seriesCauses(event));
    for (const field of immutable) {
      if (JSON.stringify(event[field]) !== JSON.stringify(current[field])) causes.push(invalid(field, event[field], 'field is immutable'));
    }
    return causes;
  }
  causes.push(...objectCauses(event.metadata as JsonObject, namespace), ...seriesCauses(event));
  if (!event.eventTime) causes.push(required('eventTime'));
  if (event.type !== 'Normal' && event.type !== 'Warning') causes.push(invalid('type', '', `has invalid value: ${String(event.type ?? '')}`));
  if (event.firstTimestamp) causes.push(invalid('firstTimestamp', '', 'needs to be unset'));
  if (event.lastTimestamp) causes.push(invalid('lastTimestamp', '', 'needs to be unset'));
  if (event.count) causes.push(invalid('count', '', 'needs to be unset'));
  const source = (event.source ?? {}) as JsonObject;
  if (source.component || source.host) causes.push(invalid('source', '', 'needs to be unset'));
  return causes;
}

const REFERENCE_FIELDS = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];

/** Field selectors on Events, by the path each version names them with. */
export const coreEventFields: Record<string, (event: StoredObject) => string> = {
  ...Object.fromEntries(REFERENCE_FIELDS.map((field) => [`involvedObject.${field}`, (event: StoredObject) => String((event.involvedObject as JsonObject | undefined)?.[field] ?? '')])),
  reason: (event) => String(event.reason ?? ''),
  reportingComponent: (event) => String(event.reportingComponent ?? ''),
  source: (event) => String((event.source as { component?: string } | undefined)?.component ?? ''),
  type: (event) => String(event.type ?? ''),
};

export const eventsV1Fields: Record<string, (event: StoredObject) => string> = {
  ...Object.fromEntries(REFERENCE_FIELDS.map((field) => [`regarding.${field}`, coreEventFields[`involvedObject.${field}`]!])),
  reason: coreEventFields.reason!,
  reportingController: coreEventFields.reportingComponent!,
  type: coreEventFields.type!,
};

/** When an event was last seen: series, lastTimestamp, eventTime, creation; epoch ms. */
export function lastSeen(event: StoredObject): number {
  const series = (event.series as { lastObservedTime?: string } | undefined)?.lastObservedTime;
  const text = series ?? (event.lastTimestamp as string | null | undefined) ?? (event.eventTime as string | null | undefined) ?? event.metadata.creationTimestamp;
  return Date.parse(text);
}

