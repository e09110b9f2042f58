/**
 * Events, as kube-apiserver serves them in two versions of one object: core/v1 (`involvedObject`,
 * `message`, `count`, what `kubectl get events` and client-go's legacy EventRecorder use) and
 * events.k8s.io/v1 (`regarding`, `note`, `series`, the newer recorder). They are stored in the
 * core/v1 form and converted on the way in and out; each version validates as kube-apiserver does
 * (events.k8s.io/v1 asks for eventTime, reportingController, reportingInstance, action and reason).
 */
import { admitMetadata, objectCauses, refuseInvalid } from './admission.js';
import { HttpError } from './encoding.js';
import type { NewObject, StoredObject } from './objectStore.js';
import * as status from './status.js';
import { microTimeError, normalizedMicroTime, normalizedTime } from './validation.js';

export const CORE_EVENTS: status.StatusSubject = { qualified: 'events', group: '', plural: 'events', kind: 'Event' };
export const EVENTS_V1: status.StatusSubject = { qualified: 'events.events.k8s.io', group: 'events.k8s.io', plural: 'events', kind: 'Event' };

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
const SHARED = ['eventTime', 'series', 'reportingInstance', 'action', 'reason', 'related', 'type'];
const STRINGS = ['message', 'reason', 'type', 'action', 'reportingComponent', 'reportingInstance'];
const REFERENCE_FIELDS = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The stored (core/v1) Event as events.k8s.io/v1 shows it. */
export function asEventsV1(event: StoredObject): Record<string, unknown> {
  const shown: Record<string, unknown> = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: event.metadata };
  for (const field of SHARED) if (event[field] !== undefined) shown[field] = event[field];
  for (const [core, v1] of RENAMED) if (event[core] !== undefined && event[core] !== null && event[core] !== '') shown[v1] = event[core];
  return shown;
}

function fromEventsV1(body: Record<string, unknown>): Record<string, unknown> {
  const core: Record<string, unknown> = { metadata: body.metadata };
  for (const field of SHARED) if (body[field] !== undefined) core[field] = body[field];
  for (const [coreField, v1] of RENAMED) if (body[v1] !== undefined) core[coreField] = body[v1];
  return core;
}

/** The decoding error (400) of an Event in core/v1 form, normalising its times to UTC in place. */
function eventDecodingError(event: Record<string, unknown>): string | undefined {
  for (const field of STRINGS) {
    if (event[field] !== undefined && event[field] !== null && typeof event[field] !== 'string') return `json: cannot unmarshal ${typeof event[field]} into Go struct field Event.${field} of type string`;
  }
  if (event.count !== undefined && event.count !== null && !Number.isInteger(event.count)) return 'json: cannot unmarshal count into Go struct field Event.count of type int32';
  for (const field of ['involvedObject', 'related', 'source', 'series']) {
    if (event[field] !== undefined && event[field] !== null && !isObject(event[field])) return `json: cannot unmarshal ${field} into Go struct field Event.${field} of type object`;
  }
  const times: [Record<string, unknown>, string, 'micro' | 'time'][] = [
    [event, 'eventTime', 'micro'],
    [event, 'firstTimestamp', 'time'],
    [event, 'lastTimestamp', 'time'],
  ];
  if (isObject(event.series)) times.push([event.series, 'lastObservedTime', 'micro']);
  for (const [holder, field, precision] of times) {
    const value = holder[field];
    if (value === undefined || value === null) continue;
    const normalized = typeof value === 'string' ? (precision === 'micro' ? normalizedMicroTime(value) : normalizedTime(value)) : undefined;
    if (normalized === undefined) return precision === 'micro' ? microTimeError(String(value), field) : `parsing time ${JSON.stringify(String(value))} as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time`;
    holder[field] = normalized;
  }
  return undefined;
}

type Cause = status.StatusCause;
const required = (field: string): Cause => ({ reason: 'FieldValueRequired', field, message: 'Required value' });
const invalid = (field: string, value: unknown, why: string): Cause => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` });

function eventCauses(event: Record<string, unknown>, namespace: string, version: 'v1' | 'events.k8s.io/v1'): Cause[] {
  const causes: Cause[] = [];
  const involved = event.involvedObject as Record<string, unknown> | undefined;
  const regardingField = version === 'v1' ? 'involvedObject' : 'regarding';
  if (involved?.namespace && involved.namespace !== namespace) causes.push(invalid(`${regardingField}.namespace`, involved.namespace, 'does not match event.namespace'));
  for (const field of REFERENCE_FIELDS) {
    if (involved?.[field] !== undefined && typeof involved[field] !== 'string') causes.push(invalid(`${regardingField}.${field}`, involved[field], 'must be a string'));
  }
  if (event.type !== undefined && event.type !== 'Normal' && event.type !== 'Warning') causes.push(invalid('type', event.type, 'has invalid value, valid values are: Normal, Warning'));
  if (version === 'events.k8s.io/v1') {
    if (!event.eventTime) causes.push(required('eventTime'));
    for (const [field, shown] of [['reportingComponent', 'reportingController'], ['reportingInstance', 'reportingInstance'], ['action', 'action'], ['reason', 'reason']] as const) {
      const value = event[field];
      if (!value) causes.push(required(shown));
      else if (String(value).length > 128) causes.push(invalid(shown, value, 'can have at most 128 characters'));
    }
    if (typeof event.message === 'string' && Buffer.byteLength(event.message) > 1024) causes.push(invalid('note', '', 'can have at most 1024 characters'));
  }
  return causes;
}

/** Decodes and validates an Event body of `version` into the stored core/v1 form. */
export function admitEvent(body: unknown, namespace: string, urlName: string | undefined, version: 'v1' | 'events.k8s.io/v1'): NewObject {
  const subject = version === 'v1' ? CORE_EVENTS : EVENTS_V1;
  if (!isObject(body)) throw new HttpError(status.undecodable('the body is not a JSON object', 'Event'));
  const metadata = admitMetadata(body, namespace, urlName, subject);
  const event = structuredClone(version === 'v1' ? body : fromEventsV1(body));
  delete event.apiVersion;
  delete event.kind;
  const undecodable = eventDecodingError(event);
  if (undecodable) throw new HttpError(status.undecodable(undecodable, 'Event'));
  refuseInvalid(metadata.name, [...objectCauses(metadata, namespace), ...eventCauses(event, namespace, version)], subject);
  return { ...event, apiVersion: 'v1', kind: 'Event', metadata };
}

/** Field selectors on Events, by the path each version names them with. */
export const coreEventFields: Record<string, (event: StoredObject) => string> = {
  ...Object.fromEntries(REFERENCE_FIELDS.map((field) => [`involvedObject.${field}`, (event: StoredObject) => String((event.involvedObject as Record<string, unknown> | undefined)?.[field] ?? '')])),
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
  const text = series ?? (event.lastTimestamp as string | undefined) ?? (event.eventTime as string | undefined) ?? event.metadata.creationTimestamp;
  return Date.parse(text);
}
